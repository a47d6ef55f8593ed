"""Asset events from the operators' `outlets`, as Airflow stores them: the event's `extra` carries
the manifest's small facts (ids, counts, tokens, the path), so a DAG scheduled on the asset needs
neither XCom nor the producer's task id.

The batch example runs through `dag.test()` (deferrable, on the emulator); its consumer DAG,
serialized as the DAG processor would, is queued by the event, and its task reads the event. The
e2e suite checks that a consumer really runs once on a real scheduler
(tests/e2e/test_real_deployment.py); tests/operators/test_example_dag.py feeds the other
examples' consumers their producers' events.
"""

from __future__ import annotations

from tests.support.assets import asset_events, consume
from tests.support.dag_runner import run_dag, serialize_to_db, task_states, xcom_value


def queued_for(target_dag_id: str) -> int:
    """Asset events waiting to start a run of `target_dag_id` (the scheduler's queue)."""
    from airflow.models.asset import AssetDagRunQueue
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        query = select(func.count()).where(AssetDagRunQueue.target_dag_id == target_dag_id)
        return int(session.scalar(query) or 0)


def test_the_batch_example_publishes_its_results_with_the_manifests_facts(
    airflow_db, openai_emulator_clean, tmp_path, monkeypatch
):
    from airflow_openai.example_dags.example_openai_batch import REVIEW_SUMMARIES, dag, results_dag

    monkeypatch.setenv("AIRFLOW__OPENAI__OUTPUT_ROOT", f"file://{tmp_path}/shared")
    dag.get_task("summarise").deferrable = True
    serialize_to_db(results_dag)  # the DAG processor would have parsed the consumer too
    dag_run = run_dag(dag, run_conf={"reviews": 30}, logical_date=None)

    assert task_states(dag_run) == {"load_reviews": "success", "summarise": "success", "report": "success"}
    manifest = xcom_value(dag_run, "summarise")
    (event,) = asset_events(dag_run)
    uri, extra = event
    assert uri == REVIEW_SUMMARIES.uri == "openai://example/review-summaries"
    assert extra == {
        "batch_ids": manifest["batch_ids"],
        "model": "gpt-4o-mini",
        "output_path": manifest["output_path"],
        "total": 30,
        "succeeded": 30,
        "failed": 0,
        "tokens": manifest["usage"]["total_tokens"],
    }
    assert extra["output_path"].startswith(f"file://{tmp_path}/shared/{dag.dag_id}/")
    assert queued_for(results_dag.dag_id) == 1, "the event queues a run of the DAG scheduled on the asset"
    assert consume(results_dag, "new_results", dag_run) == [extra], "the consumer reads it from the event"


def test_an_operator_without_outlets_emits_no_asset_event(
    airflow_db, openai_emulator_clean, new_dag, tmp_path
):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    with new_dag() as dag:
        OpenAIBatchOperator(
            task_id="batch",
            prompts=["a", "b"],
            model="gpt-4o-mini",
            poll_interval=0.2,
            output_path=str(tmp_path / "results.jsonl"),
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"batch": "success"}
    assert asset_events(dag_run) == []
