"""Running an operator as a worker does, in a thread, so a test can act while it waits."""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.support.task_instance import TaskInstanceStandIn


def waiting_in_a_worker(
    op: Any, key: str = "batch_ids", context: dict[str, Any] | None = None
) -> tuple[threading.Thread, dict[str, BaseException], str]:
    """Start `op.execute` in a thread and return once it has pushed the id of what it started
    (its one batch, or with `key="fine_tuning_job_id"` its job): the thread, where its error
    will land (`outcome["error"]`), and the id."""
    ti = TaskInstanceStandIn(op.task_id)
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            op.execute({**(context or {}), "ti": ti})
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    deadline = time.monotonic() + 20
    while key not in ti.xcom and time.monotonic() < deadline and worker.is_alive():
        time.sleep(0.05)
    pushed = ti.xcom[key]
    (started,) = pushed if isinstance(pushed, list) else [pushed]
    return worker, outcome, str(started)
