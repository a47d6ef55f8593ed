"""The template context Airflow builds for a task of a run without a logical date.

A run triggered from the REST API with `logical_date: null`, or by `airflow dags trigger`
without `-l`, has none: `ds`, `ts`, `logical_date`, `data_interval_*` and friends are then
missing from the context, and a template using them fails to render. Built here with
Airflow's own `get_template_context`, so the keys are exactly the ones a worker offers.
"""

from __future__ import annotations

import uuid
from typing import Any


def context_without_logical_date(task: Any, conf: dict[str, Any] | None = None) -> Any:
    import pendulum
    from airflow.sdk.api.datamodels._generated import DagRun, TIRunContext
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    now = pendulum.now("UTC")
    run = DagRun(
        dag_id=task.dag_id,
        run_id=f"manual__{now.isoformat()}",
        logical_date=None,
        data_interval_start=None,
        data_interval_end=None,
        run_after=now,
        start_date=now,
        end_date=None,
        run_type="manual",
        state="running",
        conf=conf or {},
        consumed_asset_events=[],
        partition_key=None,
    )
    ti = RuntimeTaskInstance.model_construct(
        id=uuid.uuid4(),
        task_id=task.task_id,
        dag_id=task.dag_id,
        run_id=run.run_id,
        try_number=1,
        map_index=-1,
        task=task,
        start_date=now,
        max_tries=0,
    )
    ti._ti_context_from_server = TIRunContext(dag_run=run, max_tries=0)
    return ti.get_template_context()
