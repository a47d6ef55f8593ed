"""The Airflow REST API (`/api/v2`) as a user drives it: trigger, watch, clear, mark, read XCom and logs.

Every wait has a deadline and, when it passes, fails with what was last seen and the tail
of each component's log, so a stuck scenario says where it stuck.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import quote

import httpx

TERMINAL_TI_STATES = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})


class StackTimeout(AssertionError):
    """A wait on the deployment ran out of time."""


class AirflowAPI:
    def __init__(self, base_url: str, diagnose: Callable[[], str]) -> None:
        self.base_url = base_url
        self._http = httpx.Client(base_url=f"{base_url}/api/v2", timeout=30)
        self._diagnose = diagnose

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path} -> {response.status_code}: {response.text[:2000]}")
        return response.json() if response.content else None

    def fail(self, message: str) -> StackTimeout:
        return StackTimeout(f"{message}\n\n{self._diagnose()}")

    # -- health and parsing --------------------------------------------------------------------

    def wait_healthy(self, timeout: float, alive: Callable[[], None]) -> dict[str, Any]:
        """Until the api-server answers and reports the metadatabase, scheduler, triggerer and
        dag-processor healthy; `alive` raises when a component has already exited."""
        deadline = time.monotonic() + timeout
        last: Any = "no answer"
        while time.monotonic() < deadline:
            alive()
            try:
                response = self._http.get("/monitor/health", timeout=5)
                last = response.json() if response.status_code == 200 else response.status_code
            except (httpx.HTTPError, ValueError) as exc:
                last = repr(exc)
            if isinstance(last, dict) and all(
                (last.get(part) or {}).get("status") == "healthy"
                for part in ("metadatabase", "scheduler", "triggerer", "dag_processor")
            ):
                return last
            time.sleep(1)
        raise self.fail(f"the deployment was not healthy within {timeout:.0f}s; last health: {last}")

    def wait_dags(self, dag_ids: Collection[str], timeout: float) -> None:
        """Until every DAG is parsed and unpaused; an import error fails at once."""
        deadline = time.monotonic() + timeout
        missing = set(dag_ids)
        while time.monotonic() < deadline:
            errors = self._call("GET", "/importErrors").get("import_errors", [])
            if errors:
                raise AssertionError(f"DAG import errors: {errors}")
            for dag_id in sorted(missing):
                response = self._http.get(f"/dags/{dag_id}")
                if response.status_code == 404:
                    continue
                dag = response.json()
                if dag.get("is_paused"):
                    self._call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
                missing.discard(dag_id)
            if not missing:
                return
            time.sleep(2)
        raise self.fail(f"DAGs not parsed within {timeout:.0f}s: {sorted(missing)}")

    # -- runs and task instances ---------------------------------------------------------------

    def trigger(self, dag_id: str, run_id: str) -> dict[str, Any]:
        """A manual run without a logical date, as `airflow dags trigger` without `-l` makes."""
        return self._call(
            "POST", f"/dags/{dag_id}/dagRuns", json={"dag_run_id": run_id, "logical_date": None, "conf": {}}
        )

    def ti(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
        return self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")

    def wait_ti(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        states: Collection[str],
        timeout: float,
        *,
        min_try: int = 1,
    ) -> dict[str, Any]:
        """Until the task instance is in one of `states` (at try `min_try` or later).

        Reaching a terminal state that was not asked for fails at once, with the task's log.
        """
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while True:
            ti = self.ti(dag_id, run_id, task_id)
            state = f"{ti['state']}@try{ti['try_number']}"
            if not seen or seen[-1] != state:
                seen.append(state)
            if ti["state"] in states and ti["try_number"] >= min_try:
                return ti
            if ti["state"] in TERMINAL_TI_STATES and ti["try_number"] >= min_try:
                log = self.log_text(dag_id, run_id, task_id, ti["try_number"])
                raise AssertionError(
                    f"{dag_id}.{task_id} in {run_id} ended {ti['state']}, expected {sorted(states)}; "
                    f"states seen: {seen}\n--- task log, try {ti['try_number']}:\n{_tail(log, 60)}"
                )
            if time.monotonic() > deadline:
                raise self.fail(
                    f"{dag_id}.{task_id} in {run_id} not {sorted(states)} (try >= {min_try}) within "
                    f"{timeout:.0f}s; states seen: {seen}"
                )
            time.sleep(1)

    def clear(self, dag_id: str, run_id: str, task_id: str) -> list[dict[str, Any]]:
        """Clear the task as the UI's Clear button does (`dry_run` defaults to True in the API)."""
        body = {"dry_run": False, "dag_run_id": run_id, "task_ids": [task_id], "only_failed": False}
        return self._call("POST", f"/dags/{dag_id}/clearTaskInstances", json=body)["task_instances"]

    def set_state(self, dag_id: str, run_id: str, task_id: str, state: str) -> Any:
        """Mark success / mark failed."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"
        return self._call("PATCH", path, json={"new_state": state})

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}"
        return self._call("GET", path)["value"]

    def xcom_entries(self, dag_id: str, run_id: str, task_id: str) -> list[dict[str, Any]]:
        """Every XCom of the task instance, each as the API answers it for its key (value included)."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries"
        keys = [entry["key"] for entry in self._call("GET", path, params={"limit": 100})["xcom_entries"]]
        return [self._call("GET", f"{path}/{quote(key, safe='')}") for key in keys]

    def get(self, path: str, **params: Any) -> Any:
        """Whatever else a user can read through the API (`path` under `/api/v2`), as JSON."""
        return self._call("GET", path, params=params)

    def log_entries(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> list[dict[str, Any]]:
        """The task log of one try as structured entries (``timestamp``, ``level``, ``event``...);
        a log that cannot be read is one entry saying why."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}"
        try:
            content = self._call("GET", path, params={"full_content": True}).get("content", [])
        except (AssertionError, httpx.HTTPError) as exc:
            return [{"event": f"(log unavailable: {exc})"}]
        return [entry if isinstance(entry, dict) else {"event": str(entry)} for entry in content]

    def log_text(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> str:
        """The task log of one try as the UI shows it: one line per event."""
        return "\n".join(
            " ".join(str(entry.get(k, "")) for k in ("timestamp", "level", "event")).strip()
            for entry in self.log_entries(dag_id, run_id, task_id, try_number)
        )


def _tail(text: str, lines: int) -> str:
    return "\n".join(text.splitlines()[-lines:])
