"""`make demo` / `python -m airflow_openai.demo`: the example DAGs on the embedded emulator.

On a real Airflow (a throw-away `AIRFLOW_HOME` with SQLite), against a local OpenAI
emulator (no key, no network, no bill): 1,000 prompts go through `OpenAIBatchOperator`
in deferrable mode; then a ticket router is fine-tuned from records in the triggerer and
compared with its base model on held-out tickets; then a handbook folder is synced into a
vector store twice, the second run finding nothing to do; an assistant answers with a tool
call answered in the worker; and a day of organization activity is exported hour by hour,
with a snapshot for access reviews; and a folder of documents is embedded, and questions are
answered, by direct calls at the rate limit. The runs have no logical date, as ones
triggered from the REST API or `airflow dags trigger` without `-l`; outputs go under
`[openai] output_root`. It prints what a DAG author would look at afterwards, with the
dashboard links.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from airflow.models.dagrun import DagRun
    from airflow.sdk import DAG

    from airflow_openai.operators.batch import OpenAIBatchOperator


def main(reviews: int = 1000) -> int:
    home = Path(tempfile.mkdtemp(prefix="airflow-openai-demo-"))
    os.environ.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(Path(__file__).parent / "example_dags"),
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        AIRFLOW__OPENAI__OUTPUT_ROOT=str(home / "results"),
    )
    from airflow_openai.emulator import Emulator

    with Emulator(data_dir=home / "emulator") as emulator:
        os.environ["AIRFLOW_CONN_OPENAI_DEFAULT"] = json.dumps(emulator.connection())
        print(f"OpenAI emulator at {emulator.base_url}; Airflow home {home}", flush=True)
        from airflow.utils.db import resetdb

        resetdb()
        from airflow_openai.example_dags.example_openai_batch import dag as batch_dag
        from airflow_openai.example_dags.example_openai_fine_tuning import dag as fine_tuning_dag

        summarise = cast("OpenAIBatchOperator", batch_dag.get_task("summarise"))
        summarise.deferrable = True
        from airflow_openai.example_dags.example_openai_runs import dag as runs_dag
        from airflow_openai.example_dags.example_openai_vector_store import dag as vector_store_dag

        failed = _summary(*_run(batch_dag, run_conf={"reviews": reviews}))
        failed |= _fine_tuning_summary(*_run(fine_tuning_dag))
        for run in ("first run", "second run, nothing changed"):
            failed |= _vector_store_summary(run, *_run(vector_store_dag))
        failed |= _runs_summary(*_run(runs_dag))
        from airflow_openai.example_dags.example_openai_direct import dag as direct_dag

        failed |= _direct_summary(*_run(direct_dag))
        failed |= _audit_demo(emulator)
        return failed


def _run(dag: DAG, logical_date: Any = None, **kwargs: Any) -> tuple[DagRun, float]:
    _serialize(dag)
    started = time.monotonic()
    dag_run = dag.test(logical_date=logical_date, **kwargs)
    return dag_run, time.monotonic() - started


def _xcom(dag_run: DagRun, task_id: str, key: str = "return_value") -> Any:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    query = XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag_run.dag_id, task_ids=task_id, key=key)
    with create_session() as session:
        row = session.scalars(query).first()
        return XComModel.deserialize_value(row) if row is not None else None


def _succeeded(dag_run: DagRun) -> bool:
    return str(dag_run.state) in ("success", "DagRunState.SUCCESS")


def _serialize(dag: DAG) -> None:
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.collection import update_dag_parsing_results_in_db
    from airflow.serialization.serialized_objects import LazyDeserializedDAG
    from airflow.utils.session import create_session

    DagBundlesManager().sync_bundles_to_db()
    with create_session() as session:
        update_dag_parsing_results_in_db(
            "dags-folder", None, [LazyDeserializedDAG.from_dag(dag)], {}, None, set(), session=session
        )


def _summary(dag_run: DagRun, elapsed: float) -> int:
    from airflow_openai.links import OpenAIBatchLink

    def xcom(task_id: str, key: str = "return_value") -> Any:
        return _xcom(dag_run, task_id, key)

    manifest, report = xcom("summarise"), xcom("report")
    print()
    print(f"DAG run {dag_run.run_id}: {dag_run.state} in {elapsed:.1f}s")
    if not isinstance(manifest, dict):
        print("The batch task left no manifest: see the log above.")
        return 1
    print(f"  batches:   {', '.join(manifest['batch_ids'])}")
    print(
        f"  requests:  {manifest['succeeded']} succeeded, {manifest['failed']} failed of {manifest['total']}"
    )
    usage = manifest["usage"]
    print(
        f"  tokens:    {usage['prompt_tokens']} prompt + {usage['completion_tokens']} completion = {usage['total_tokens']}"
    )
    print(f"  results:   {manifest['output_path']}")
    print(f"  dashboard: {xcom('summarise', OpenAIBatchLink().xcom_key) or '(no link)'}")
    if isinstance(report, dict):
        print(f"  sentiment: {report['sentiments']}")
        for example in report["examples"]:
            print(
                f"  {example['custom_id']}: {example['prompt'][:60]!r} -> {json.dumps(example['answer'])[:100]}"
            )
    return 0 if _succeeded(dag_run) else 1


def _fine_tuning_summary(dag_run: DagRun, elapsed: float) -> int:
    from airflow_openai.links import OpenAIFineTuningJobLink

    job, comparison = _xcom(dag_run, "fine_tune"), _xcom(dag_run, "compare")
    print()
    print(f"DAG run {dag_run.dag_id} / {dag_run.run_id}: {dag_run.state} in {elapsed:.1f}s")
    if not isinstance(job, dict) or not isinstance(comparison, dict):
        print("The fine-tuning run left no result: see the log above.")
        return 1
    report = job["data_report"] or {}
    print(
        f"  data:      {report.get('examples')} training / {report.get('validation_examples')} validation "
        f"examples, ~{report.get('estimated_billed_tokens')} billed tokens (estimate)"
    )
    print(f"  job:       {job['job_id']} {job['status']}, {job['trained_tokens']} tokens trained")
    print(f"  model:     {job['fine_tuned_model']}")
    metrics = job["metrics"] or {}
    print(
        f"  loss:      {metrics.get('first_train_loss')} -> {metrics.get('final_train_loss')} (train), "
        f"{metrics.get('final_valid_loss')} (validation)"
    )
    print(f"  chart:     {job['chart_path']}")
    print(f"  dashboard: {_xcom(dag_run, 'fine_tune', OpenAIFineTuningJobLink().xcom_key) or '(no link)'}")
    accuracy = comparison["accuracy"]
    print(f"  held-out tickets: fine-tuned {accuracy['tuned']:.0%} right, base model {accuracy['base']:.0%}")
    print(f"  {'expected':<10} {'fine-tuned':<12} base")
    for row in comparison["rows"]:
        print(f"  {row['expected']:<10} {row['tuned'][:12]:<12} {row['base'][:50]}")
    return 0 if _succeeded(dag_run) else 1


def _vector_store_summary(which: str, dag_run: DagRun, elapsed: float) -> int:
    from airflow_openai.links import OpenAIVectorStoreLink

    result = _xcom(dag_run, "ingest")
    print()
    print(f"DAG run {dag_run.dag_id} ({which}): {dag_run.state} in {elapsed:.1f}s")
    if not isinstance(result, dict):
        print("The ingest left no summary: see the log above.")
        return 1
    print(
        f"  store {result['vector_store_id']}: {result['added']} added, {result['replaced']} replaced, "
        f"{result['removed']} removed, {result['unchanged']} unchanged, {len(result['failed'])} failed; "
        f"{result['uploaded']} uploaded; {result['usage_bytes']} bytes"
    )
    print(f"  dashboard: {_xcom(dag_run, 'ingest', OpenAIVectorStoreLink().xcom_key) or '(no link)'}")
    return 0 if _succeeded(dag_run) else 1


def _direct_summary(dag_run: DagRun, elapsed: float) -> int:
    print()
    print(f"DAG run {dag_run.dag_id}: {dag_run.state} in {elapsed:.1f}s")
    for task_id, what in (("embed", "documents embedded"), ("ask", "questions answered")):
        result = _xcom(dag_run, task_id)
        if not isinstance(result, dict):
            print(f"  {task_id} left no manifest: see the log above.")
            return 1
        print(
            f"  {task_id}: {result['succeeded']} {what}, {result['failed']} failed, "
            f"{result['usage']['total_tokens']} tokens; written to {result['output_path']}"
        )
    return 0 if _succeeded(dag_run) else 1


def _runs_summary(dag_run: DagRun, elapsed: float) -> int:
    result = _xcom(dag_run, "ask")
    print()
    print(f"DAG run {dag_run.dag_id}: {dag_run.state} in {elapsed:.1f}s")
    if not isinstance(result, dict):
        print("The run left no answer: see the log above.")
        return 1
    print(
        f"  run {result['run_id']} on thread {result['thread_id']}: {result['status']}, "
        f"{result['tool_calls_answered']} round of tool calls answered in the worker"
    )
    for text in result["messages"]:
        print("  assistant: " + text.replace("\n", "\n             "))
    return 0 if _succeeded(dag_run) else 1


def _audit_demo(emulator: Any) -> int:
    """A day of organization activity on the emulator, two hours of it exported, and a snapshot."""
    import httpx
    import pendulum

    from airflow_openai.example_dags.example_openai_audit_logs import dag

    emulator.set_speed(0)  # the emulator's clock stands still: the hours below are exactly its hours
    now = httpx.get(f"{emulator.url}/_emulator/clock").json()["now"]
    emulator.seed_organization_activity(hours=24, events_per_hour=12)
    last_hour = int(now) // 3600 * 3600
    failed = 0
    for hours_back in (1, 0):  # the runs whose hours end one hour ago and at the last full hour
        dag_run, elapsed = _run(
            dag, logical_date=pendulum.from_timestamp(last_hour - hours_back * 3600, tz="UTC")
        )
        exported = _xcom(dag_run, "export_audit_logs")
        print()
        if not isinstance(exported, dict):
            print(
                f"DAG run {dag_run.dag_id}: {dag_run.state}; the export left no summary: see the log above."
            )
            failed = 1
            continue
        print(
            f"DAG run {dag_run.dag_id}, {exported['start']} to {exported['end']}: {dag_run.state} in {elapsed:.1f}s"
        )
        print(f"  {exported['count']} audit log entries -> {exported['path']}")
        print(f"  by type: {exported['event_types']}")
        failed |= 0 if _succeeded(dag_run) else 1
    dag_run, elapsed = _run(dag)
    snapshot = _xcom(dag_run, "snapshot")
    print()
    print(f"DAG run {dag_run.dag_id} without a logical date (snapshot): {dag_run.state} in {elapsed:.1f}s")
    if isinstance(snapshot, dict):
        print(f"  inventory {snapshot['counts']} -> {snapshot['path']}")
        print(f"  keys unused for {snapshot['unused_key_days']} days: {len(snapshot['unused_keys'] or [])}")
    return failed | (0 if _succeeded(dag_run) else 1)


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
