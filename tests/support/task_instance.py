"""A stand-in for the task instance an operator reads in `execute`, so `execute` and `on_kill` can run in
two threads the way a worker runs them on SIGTERM (which `dag.test()` cannot do)."""

from __future__ import annotations


class KilledTaskInstance:
    dag_id, run_id, map_index, try_number = "killed_dag", "manual__1", -1, 1

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        self.xcom: dict[str, object] = {}

    def xcom_push(self, key: str, value: object) -> None:
        self.xcom[key] = value
