"""Run a DAG built inside a test through `dag.test()` on the session's SQLite metadata DB.

Airflow 3.3's `dag.test()` refuses a DAG that is not serialized in the DB, so the DAG
is written there first, the way the DAG processor would.
"""

from __future__ import annotations

from typing import Any


def reset_metadata_db() -> None:
    from airflow.utils.db import resetdb

    resetdb()


def serialize_to_db(dag: Any) -> None:
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.collection import update_dag_parsing_results_in_db
    from airflow.serialization.serialized_objects import LazyDeserializedDAG
    from airflow.utils.session import create_session

    DagBundlesManager().sync_bundles_to_db()
    with create_session() as session:
        update_dag_parsing_results_in_db(
            "dags-folder", None, [LazyDeserializedDAG.from_dag(dag)], {}, None, set(), session=session
        )


def run_dag(dag: Any, **kwargs: Any) -> Any:
    """Serialize and run `dag`; returns the finished DagRun."""
    serialize_to_db(dag)
    return dag.test(**kwargs)


def xcom_value(dag_run: Any, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    query = XComModel.get_many(
        run_id=dag_run.run_id, dag_ids=dag_run.dag_id, task_ids=task_id, key=key, map_indexes=map_index
    )
    with create_session() as session:
        row = session.scalars(query).first()
        return XComModel.deserialize_value(row) if row is not None else None


def task_states(dag_run: Any) -> dict[str, str]:
    from airflow.utils.session import create_session

    with create_session() as session:
        return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances(session=session)}
