"""One scenario's DAG run, with what a user would look at: task state, XCom, the results file,
the task log, and the batches the run left on the (emulated) OpenAI side."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from tests.e2e.deployment import Deployment

TASK_ID = "summarise"
_runs = itertools.count(1)


@dataclass
class ScenarioRecord:
    """A line of the session summary: how long a scenario took and how many batches it cost."""

    name: str
    dag_id: str | None = None
    seconds: float = 0.0
    batches: int | None = None
    outcome: str = "?"
    notes: list[str] = field(default_factory=list)


class ScenarioRun:
    def __init__(self, deployment: Deployment, record: ScenarioRecord) -> None:
        self.deployment = deployment
        self.api = deployment.api
        self.emulator = deployment.emulator
        self.record = record
        self.dag_id = ""
        self.run_id = ""
        self.task_id = TASK_ID

    def start(self, dag_id: str, task_id: str = TASK_ID) -> ScenarioRun:
        """Trigger a run of `dag_id` (whose task under test is `task_id`) through the REST API,
        without a logical date."""
        self.dag_id = dag_id
        self.task_id = task_id
        self.record.dag_id = dag_id
        self.run_id = f"{dag_id}__{next(_runs)}"
        self.api.trigger(dag_id, self.run_id)
        return self

    def wait(self, *states: str, timeout: float, min_try: int = 1) -> dict[str, Any]:
        return self.api.wait_ti(self.dag_id, self.run_id, self.task_id, set(states), timeout, min_try=min_try)

    def ti(self) -> dict[str, Any]:
        return self.api.ti(self.dag_id, self.run_id, self.task_id)

    def batches(self) -> list[dict[str, Any]]:
        """The batches this scenario's DAG created, as the remote API lists them."""
        return self.emulator.batches(self.dag_id)

    def wait_for_batch(self, timeout: float) -> dict[str, Any]:
        """The deferred task's batch, once the task has submitted it and handed the wait to the triggerer."""
        self.wait("deferred", timeout=timeout)
        found = self.batches()
        assert len(found) == 1, f"expected one batch once deferred, found {[b['id'] for b in found]}"
        return found[0]

    def manifest(self) -> dict[str, Any]:
        value = self.api.xcom(self.dag_id, self.run_id, self.task_id)
        return json.loads(value) if isinstance(value, str) else value

    def rows(self) -> list[dict[str, Any]]:
        path = self.deployment.results_file(self.dag_id, self.run_id)
        assert path.exists(), f"no results file at {path}"
        with path.open() as results:
            return [json.loads(line) for line in results]

    def log(self, try_number: int | None = None) -> str:
        number = try_number or self.ti()["try_number"]
        return self.api.log_text(self.dag_id, self.run_id, self.task_id, number)

    def log_entries(self, try_number: int | None = None) -> list[dict[str, Any]]:
        """The task log of one try as structured entries (``level``, ``event``...)."""
        number = try_number or self.ti()["try_number"]
        return self.api.log_entries(self.dag_id, self.run_id, self.task_id, number)

    def note(self, text: str) -> None:
        self.record.notes.append(text)
