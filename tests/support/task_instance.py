"""A stand-in for the task instance an operator reads in `execute`: for calling `execute` directly, as
when `execute` and `on_kill` run in two threads the way a worker runs them on SIGTERM (which
`dag.test()` cannot do), or under a memory tracer that would make a whole DAG run crawl."""

from __future__ import annotations


class TaskInstanceStandIn:
    dag_id, run_id, map_index, try_number = "stand_in_dag", "manual__1", -1, 1

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        self.xcom: dict[str, object] = {}

    def xcom_push(self, key: str, value: object) -> None:
        self.xcom[key] = value
