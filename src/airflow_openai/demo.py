"""`make demo` / `python -m airflow_openai.demo`: the example batch DAG on the embedded emulator.

1,000 prompts go through `OpenAIBatchOperator` in deferrable mode on a real Airflow
(a throw-away `AIRFLOW_HOME` with SQLite), against a local OpenAI emulator: no key,
no network, no bill. The run has no logical date, as one triggered from the REST API or
`airflow dags trigger` without `-l`; results go under `[openai] output_root`. It prints
what a DAG author would look at afterwards, with the dashboard link of the batch task.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, cast

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
        from airflow_openai.example_dags.example_openai_batch import dag

        summarise = cast("OpenAIBatchOperator", dag.get_task("summarise"))
        summarise.deferrable = True
        _serialize(dag)
        started = time.monotonic()
        dag_run = dag.test(run_conf={"reviews": reviews}, logical_date=None)
        elapsed = time.monotonic() - started
        return _summary(dag_run, elapsed)


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
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    from airflow_openai.links import OpenAIBatchLink

    def xcom(task_id: str, key: str = "return_value") -> object:
        query = XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag_run.dag_id, task_ids=task_id, key=key)
        with create_session() as session:
            row = session.scalars(query).first()
            return XComModel.deserialize_value(row) if row is not None else None

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
    return 0 if str(dag_run.state) in ("success", "DagRunState.SUCCESS") else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
