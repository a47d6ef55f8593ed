"""Running an operator as a worker does, in a thread, so a test can act while it waits."""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.support.task_instance import TaskInstanceStandIn


def waiting_in_a_worker(op: Any) -> tuple[threading.Thread, dict[str, BaseException], str]:
    """Start `op.execute` in a thread and return once it has submitted its one batch:
    the thread, where its error will land (`outcome["error"]`), and the batch id."""
    ti = TaskInstanceStandIn("batch")
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            op.execute({"ti": ti})
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    deadline = time.monotonic() + 20
    while "batch_ids" not in ti.xcom and time.monotonic() < deadline:
        time.sleep(0.05)
    (batch_id,) = ti.xcom["batch_ids"]
    return worker, outcome, batch_id
