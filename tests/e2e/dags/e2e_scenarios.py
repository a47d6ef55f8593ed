"""Scenario DAGs for tests/e2e: each is one deferrable batch task over 200 prompts.

One DAG per scenario, so the batches each scenario made can be told apart on the emulator
by their `airflow_dag_id` tag. No retries: what a scenario shows must come from the
task's own try, not from Airflow trying again. The output path uses `run_id`, which
every run has (these runs are triggered without a logical date).
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import DAG

from airflow_openai.operators.batch import OpenAIBatchOperator

SCENARIO_DAG_IDS = (
    "e2e_results",
    "e2e_triggerer_killed",
    "e2e_cleared",
    "e2e_marked_success",
    "e2e_marked_failed",
    "e2e_outage",
)
PROMPTS = [f"Summarise review #{n}: the kettle works, shipping was slow." for n in range(200)]
RESULTS = os.environ.get("E2E_RESULTS_DIR", "/tmp/airflow-openai-e2e-results")

for dag_id in SCENARIO_DAG_IDS:
    with DAG(
        dag_id=dag_id,
        schedule=None,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        default_args={"retries": 0},
        tags=["e2e"],
    ):
        OpenAIBatchOperator(
            task_id="summarise",
            prompts=PROMPTS,
            model="gpt-4o-mini",
            deferrable=True,
            poll_interval=1.0,
            output_path=f"{RESULTS}/{dag_id}/{{{{ run_id }}}}.jsonl",
        )
