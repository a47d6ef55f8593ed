"""Asset events as Airflow stores them, and as a DAG scheduled on the asset receives them.

`dag.test()` runs no scheduler, so a consumer DAG is not started by the producer's events here
(the e2e suite checks that on a real deployment); `consume` hands a consumer's task the events of
a producer's run as its `triggering_asset_events`, built the way the task runner builds them.
"""

from __future__ import annotations

from typing import Any


def asset_event_rows(dag_run: Any) -> list[Any]:
    """The asset events the run's tasks emitted, oldest first, each with its asset."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    query = (
        select(AssetEvent, AssetModel)
        .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
        .where(AssetEvent.source_dag_id == dag_run.dag_id, AssetEvent.source_run_id == dag_run.run_id)
        .order_by(AssetEvent.id)
    )
    with create_session() as session:
        rows = []
        for event, asset in session.execute(query):
            rows.append(
                {
                    "asset": {"name": asset.name, "uri": asset.uri, "extra": dict(asset.extra or {})},
                    "extra": dict(event.extra or {}),
                    "source_task_id": event.source_task_id,
                    "source_dag_id": event.source_dag_id,
                    "source_run_id": event.source_run_id,
                    "source_map_index": event.source_map_index,
                    "source_aliases": [],
                    "timestamp": event.timestamp,
                }
            )
        return rows


def asset_events(dag_run: Any) -> list[tuple[str, dict[str, Any]]]:
    """(asset uri, extra) of every asset event the run's tasks emitted, oldest first."""
    return [(row["asset"]["uri"], row["extra"]) for row in asset_event_rows(dag_run)]


def consume(consumer_dag: Any, task_id: str, *producer_runs: Any) -> Any:
    """What `task_id` of `consumer_dag` returns when the events of `producer_runs` trigger it."""
    from airflow.sdk.execution_time.comms import AssetEventDagRunReferenceResult
    from airflow.sdk.execution_time.context import TriggeringAssetEventsAccessor

    events = [
        AssetEventDagRunReferenceResult.model_validate(row)
        for run in producer_runs
        for row in asset_event_rows(run)
    ]
    task = consumer_dag.get_task(task_id)
    return task.python_callable(triggering_asset_events=TriggeringAssetEventsAccessor.build(events))
