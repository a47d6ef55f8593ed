"""The emulator seen from outside: its API (to count batches, fine-tuning jobs and files, as a user
would on the dashboard) and its control plane (clock, faults, forced states), over HTTP only,
since it runs as its own process."""

from __future__ import annotations

import time
from typing import Any

import httpx

from airflow_openai.emulator.server import PROJECT_KEY

DEFAULT_LINE_SECONDS = 0.06
HELD_LINE_SECONDS = 120.0
"""Emulated seconds per request while a scenario holds its batch running (200 lines: 400 real
minutes at speed 60), so the disruption comes while the batch is in progress, whatever the
machine's pace."""


class EmulatorControl:
    def __init__(self, url: str, speed: float = 60.0) -> None:
        self.url = url
        self.speed = speed
        """Emulated seconds per real second the emulator was started with: `release_fine_tuning` restores it."""
        self.base_url = f"{url}/v1"
        self.token_url = f"{url}/oauth/token"
        """The workload identity token exchange (`auth.openai.com/oauth/token` on the service)."""
        self._api = httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {PROJECT_KEY}"}, timeout=30
        )
        self._control = httpx.Client(base_url=f"{url}/_emulator", timeout=30)

    def close(self) -> None:
        self._api.close()
        self._control.close()

    def wait_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._control.get("/clock", timeout=2).raise_for_status()
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    # -- what the remote side holds -------------------------------------------------------------

    def batches(self, dag_id: str | None = None) -> list[dict[str, Any]]:
        """Every batch on the emulator (all pages), or those a DAG's tasks created (their metadata tags)."""
        found: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 100, **({"after": after} if after else {})}
            response = self._api.get("/batches", params=params)
            response.raise_for_status()
            page = response.json()
            found.extend(page["data"])
            if not page["has_more"]:
                break
            after = page["last_id"]
        if dag_id is None:
            return found
        return [b for b in found if (b.get("metadata") or {}).get("airflow_dag_id") == dag_id]

    def _all_pages(self, path: str, limit: int = 100, **params: Any) -> list[dict[str, Any]]:
        """Every object of a list endpoint, newest first, paging with `after` (the last id seen)."""
        found: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            page_params = {"limit": limit, **params, **({"after": after} if after else {})}
            response = self._api.get(path, params=page_params)
            response.raise_for_status()
            page = response.json()
            found.extend(page["data"])
            if not page["has_more"] or not page["data"]:
                return found
            after = page["data"][-1]["id"]

    def fine_tuning_jobs(self) -> list[dict[str, Any]]:
        """Every fine-tuning job on the emulator, newest first."""
        return self._all_pages("/fine_tuning/jobs")

    def fine_tuning_job(self, job_id: str) -> dict[str, Any]:
        """One job, read through the list: `GET /v1/fine_tuning/jobs/{id}` stays the trigger's and
        the task's alone, so counting those requests counts their polls."""
        found = [job for job in self.fine_tuning_jobs() if job["id"] == job_id]
        assert found, f"no fine-tuning job {job_id} on the emulator"
        return found[0]

    def fine_tuning_events(self, job_id: str) -> list[dict[str, Any]]:
        """A job's events, oldest first (the API lists them newest first)."""
        return list(reversed(self._all_pages(f"/fine_tuning/jobs/{job_id}/events")))

    def files(self, purpose: str | None = None) -> list[dict[str, Any]]:
        """Every uploaded file (of `purpose`), newest first."""
        return self._all_pages("/files", limit=10_000, **({"purpose": purpose} if purpose else {}))

    def batch(self, batch_id: str) -> dict[str, Any]:
        """One batch, read through the list: `GET /v1/batches/{id}` stays the trigger's alone, so
        counting those requests counts its polls (and an outage on them does not blind the test)."""
        found = [b for b in self.batches() if b["id"] == batch_id]
        assert found, f"no batch {batch_id} on the emulator"
        return found[0]

    def requests(self, path: str, method: str = "*") -> int:
        from airflow_openai.emulator.core.request_log import matching

        response = self._control.get("/requests")
        response.raise_for_status()
        return matching(response.json()["requests"], path, method)

    # -- making time pass and the API misbehave --------------------------------------------------

    def hold_batches(self) -> None:
        """Batches from now on (and running ones) crawl: they stay in progress until `release_batches`."""
        self._control.post("/clock", json={"seconds_per_line": HELD_LINE_SECONDS}).raise_for_status()

    def release_batches(self) -> None:
        """Back to the default pace: a held batch of a few hundred lines completes within a second."""
        self._control.post("/clock", json={"seconds_per_line": DEFAULT_LINE_SECONDS}).raise_for_status()

    def hold_fine_tuning(self) -> None:
        """Stop the emulated clock: a fine-tuning job stays where it is (validating, queued, at its
        step) until `advance` or `release_fine_tuning`; so does everything else on the clock."""
        self._control.post("/clock", json={"speed": 0}).raise_for_status()

    def release_fine_tuning(self) -> None:
        """The clock runs again at the emulator's speed: a held job of a few dozen steps ends within seconds."""
        self._control.post("/clock", json={"speed": self.speed}).raise_for_status()

    def advance(self, seconds: float) -> None:
        """Move the emulated clock on by `seconds` at once (a held job runs the steps due by then)."""
        self._control.post("/clock", json={"advance": seconds}).raise_for_status()

    def force_fine_tuning(self, job_id: str, status: str) -> dict[str, Any]:
        """Move a fine-tuning job straight on to `status` (its events for the steps between are made now)."""
        response = self._control.post(f"/state/fine_tuning/{job_id}", json={"status": status})
        response.raise_for_status()
        return response.json()

    def fault(
        self, path: str, *, method: str = "*", status: int | None = 503, count: int = 1, **options: Any
    ) -> None:
        body = {"path": path, "method": method, "status": status, "count": count, **options}
        self._control.post("/faults", json=body).raise_for_status()

    def clear_faults(self) -> None:
        self._control.delete("/faults").raise_for_status()

    # -- workload identity -------------------------------------------------------------------------

    def configure_identity(
        self, identity_provider_id: str, service_account_id: str, token_lifetime_seconds: int
    ) -> dict[str, Any]:
        """The token exchange accepts only these ids and issues access tokens living this many real
        seconds (whatever the clock's speed); returns `identity()`."""
        body = {
            "identity_provider_id": identity_provider_id,
            "service_account_id": service_account_id,
            "token_lifetime_seconds": token_lifetime_seconds,
        }
        response = self._control.post("/identity", json=body)
        response.raise_for_status()
        return response.json()

    def identity(self) -> dict[str, Any]:
        """The exchange's configuration, `tokens_issued` since the emulator started and `tokens_live`."""
        response = self._control.get("/identity")
        response.raise_for_status()
        return response.json()
