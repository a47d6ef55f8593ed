"""Cluster policy of the distributed profile: which worker runs the example DAGs' tasks.

The project's example DAGs run unchanged; this policy (Airflow imports `airflow_local_settings`
from PYTHONPATH) routes the downstream tasks to worker B's queue. Every other task keeps its
own queue, or the default one (`[operators] default_queue`, worker A's).
"""

from __future__ import annotations

from typing import Any

WORKER_B = "qb"
ON_WORKER_B = {
    ("example_openai_batch", "report"),  # reads the results `summarise` wrote on worker A
    ("example_openai_batch_results", "new_results"),  # the DAG scheduled on those results
}


def task_policy(task: Any) -> None:
    if (task.dag_id, task.task_id) in ON_WORKER_B:
        task.queue = WORKER_B
