"""Scenario DAGs of the distributed profile (tests/e2e/distributed): tasks pinned to worker A
(queue `qa`), worker B (`qb`) or whichever is alive (`qshared`), data in object storage over the
S3 API (`s3://aws_default@<bucket>/...`, the bucket named by the harness in `E2E_S3_BUCKET`).

- `dist_vector_store`: the same sync of an `s3://` prefix into one vector store (by its key),
  first on worker A, then on worker B; the second finds everything uploaded and uploads nothing.
- `dist_fine_tuning`: a fine-tuning job from an `s3://` training file on worker A, its metrics
  and loss chart written under `[openai] output_root` (`s3://`), read back on worker B.
- `dist_audit_logs`: the audit log export, hourly, catching up the three full hours before the
  deployment started (`E2E_AUDIT_START`), into `[openai] output_root`; paused until the scenario
  has written the hours' entries on the emulator.
- `dist_worker_killed`: a batch waited on in the worker (not deferred), on either worker, one retry.
- `dist_triggerer_killed`: a deferrable batch whose results are fetched on worker B.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import DAG, ObjectStoragePath, task
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_openai.operators.admin import OpenAIAuditLogsToStorageOperator
from airflow_openai.operators.batch import OpenAIBatchOperator
from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator
from airflow_openai.operators.vector_stores import OpenAIVectorStoreIngestOperator

BUCKET = os.environ.get("E2E_S3_BUCKET", "airflow-openai-e2e")
S3 = f"s3://aws_default@{BUCKET}"
HANDBOOK = f"{S3}/handbook/**/*"
TRAINING_FILE = f"{S3}/training/tickets.jsonl"
AUDIT_START = pendulum.parse(os.environ.get("E2E_AUDIT_START", "2026-01-01T00:00:00+00:00"))
AUDIT_HOURS = 3
PROMPTS = [f"Summarise review #{n}: the kettle works, shipping was slow." for n in range(200)]
START = pendulum.datetime(2026, 1, 1, tz="UTC")
COMMON: dict[str, Any] = {
    "schedule": None,
    "start_date": START,
    "catchup": False,
    "tags": ["e2e-distributed"],
}

with DAG(dag_id="dist_vector_store", default_args={"retries": 0}, **COMMON):
    sync = {
        worker: OpenAIVectorStoreIngestOperator(
            task_id=f"sync_on_{worker}",
            queue=f"q{worker}",
            source=HANDBOOK,
            store_key="e2e-distributed-handbook",
            store_name="Handbook (distributed e2e)",
            deferrable=True,
            poll_interval=1.0,
        )
        for worker in ("a", "b")
    }
    sync["a"] >> sync["b"]

with DAG(dag_id="dist_fine_tuning", default_args={"retries": 0}, **COMMON):
    fine_tune = OpenAIFineTuningJobOperator(
        task_id="fine_tune",
        queue="qa",
        model="gpt-4o-mini-2024-07-18",
        training_file=TRAINING_FILE,
        hyperparameters={"n_epochs": 3},
        suffix="e2e-distributed",
        deferrable=True,
        poll_interval=1.0,
    )

    @task(queue="qb")
    def read_metrics(result: dict[str, Any]) -> dict[str, Any]:
        """On worker B: the metrics file and the loss chart worker A's task wrote, read from storage."""
        metrics = ObjectStoragePath(result["metrics_path"]).read_text()
        chart = ObjectStoragePath(result["chart_path"]).read_text()
        return {
            "metrics_bytes": len(metrics),
            "metrics_keys": sorted(json.loads(metrics)) if result["metrics_path"].endswith(".json") else [],
            "chart_is_svg": chart.lstrip().startswith("<"),
        }

    read_metrics(fine_tune.output)

with DAG(
    dag_id="dist_audit_logs",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=AUDIT_START,
    end_date=AUDIT_START + timedelta(hours=AUDIT_HOURS - 1),  # the last run's hour starts here
    catchup=True,
    is_paused_upon_creation=True,
    max_active_runs=AUDIT_HOURS,
    default_args={"retries": 0},
    tags=["e2e-distributed"],
):
    OpenAIAuditLogsToStorageOperator(task_id="export_audit_logs", queue="qb")

for dag_id, deferrable, queue, retries in (
    ("dist_worker_killed", False, "qshared", 1),  # the retry is what takes the batch over
    ("dist_triggerer_killed", True, "qb", 0),
):
    with DAG(
        dag_id=dag_id,
        default_args={"retries": retries, "retry_delay": timedelta(seconds=1)},
        **COMMON,
    ):
        OpenAIBatchOperator(
            task_id="summarise",
            queue=queue,
            prompts=PROMPTS,
            model="gpt-4o-mini",
            deferrable=deferrable,
            poll_interval=1.0,
        )
