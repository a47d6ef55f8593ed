"""The emulator seen from outside: its API (to count batches, as a user would on the dashboard)
and its control plane (clock, faults), over HTTP only, since it runs as its own process."""

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
    def __init__(self, url: str) -> None:
        self.url = url
        self.base_url = f"{url}/v1"
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

    def batch(self, batch_id: str) -> dict[str, Any]:
        """One batch, read through the list: `GET /v1/batches/{id}` stays the trigger's alone, so
        counting those requests counts its polls (and an outage on them does not blind the test)."""
        found = [b for b in self.batches() if b["id"] == batch_id]
        assert found, f"no batch {batch_id} on the emulator"
        return found[0]

    def requests(self, path: str, method: str = "*") -> int:
        from airflow_openai.emulator.request_log import matching

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

    def fault(
        self, path: str, *, method: str = "*", status: int | None = 503, count: int = 1, **options: Any
    ) -> None:
        body = {"path": path, "method": method, "status": status, "count": count, **options}
        self._control.post("/faults", json=body).raise_for_status()

    def clear_faults(self) -> None:
        self._control.delete("/faults").raise_for_status()
