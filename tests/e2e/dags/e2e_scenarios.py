"""Scenario DAGs for tests/e2e: each is one deferrable batch task over 200 prompts, or (for
`e2e_fine_tuning_cleared`) one deferrable fine-tuning job on 12 chat examples given inline.

One DAG per scenario, so the batches each scenario made can be told apart on the emulator
by their `airflow_dag_id` tag (a fine-tuning job by its suffix, its upload by its name).
`e2e_workload_identity` runs on the keyless `openai_wif` connection (workload identity), every
other DAG on `openai_default` (an API key). No retries: what a scenario shows must come from
the task's own try, not from Airflow trying again. The output path uses `run_id`, which every
run has (these runs are triggered without a logical date).

`e2e_assets` is the same batch task publishing its results as an asset (`outlets`), and
`e2e_assets_consumer` a DAG scheduled on that asset, whose task returns the `extra` of the asset
events that triggered its run.
"""

from __future__ import annotations

import os
from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, task

from airflow_openai.operators.batch import OpenAIBatchOperator
from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator

SCENARIO_DAG_IDS = (
    "e2e_results",
    "e2e_triggerer_killed",
    "e2e_cleared",
    "e2e_marked_success",
    "e2e_marked_failed",
    "e2e_outage",
    "e2e_workload_identity",
)
CONNECTIONS = {"e2e_workload_identity": "openai_wif"}
"""The DAGs not on `openai_default`: set in the deployment's environment (tests/e2e/deployment.py)."""
PROMPTS = [f"Summarise review #{n}: the kettle works, shipping was slow." for n in range(200)]
RESULTS = os.environ.get("E2E_RESULTS_DIR", "/tmp/airflow-openai-e2e-results")

ASSETS_DAG_ID = "e2e_assets"
ASSETS_CONSUMER_DAG_ID = "e2e_assets_consumer"
RESULTS_ASSET = Asset("openai://e2e/review-summaries")

FINE_TUNING_DAG_ID = "e2e_fine_tuning_cleared"
FINE_TUNING_SUFFIX = "e2e-cleared"
ROUTE = (
    "Route the support ticket to one queue: billing, shipping, account or bug. Answer with the queue only."
)
TICKETS = [
    ("I was charged twice for my order", "billing"),
    ("please refund the duplicate payment", "billing"),
    ("my invoice shows the wrong amount", "billing"),
    ("my parcel has not arrived yet", "shipping"),
    ("the tracking number does not work", "shipping"),
    ("the box arrived damaged in delivery", "shipping"),
    ("I cannot log in to my account", "account"),
    ("please reset my password", "account"),
    ("I want to delete my account", "account"),
    ("the app crashes when I open settings", "bug"),
    ("the export button does nothing", "bug"),
    ("images do not load in the gallery", "bug"),
]
TRAINING = [
    {
        "messages": [
            {"role": "system", "content": ROUTE},
            {"role": "user", "content": ticket},
            {"role": "assistant", "content": queue},
        ]
    }
    for ticket, queue in TICKETS
]

for dag_id in (*SCENARIO_DAG_IDS, ASSETS_DAG_ID):
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
            openai_conn_id=CONNECTIONS.get(dag_id, "openai_default"),
            prompts=PROMPTS,
            model="gpt-4o-mini",
            deferrable=True,
            poll_interval=1.0,
            output_path=f"{RESULTS}/{dag_id}/{{{{ run_id }}}}.jsonl",
            outlets=[RESULTS_ASSET] if dag_id == ASSETS_DAG_ID else [],
        )

with DAG(
    dag_id=ASSETS_CONSUMER_DAG_ID,
    schedule=[RESULTS_ASSET],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
    tags=["e2e"],
):

    @task
    def read_results(triggering_asset_events: Any = None) -> list[dict[str, Any]]:
        """The `extra` of each asset event that triggered this run."""
        return [dict(event.extra) for event in (triggering_asset_events or {}).get(RESULTS_ASSET, [])]

    read_results()

with DAG(
    dag_id=FINE_TUNING_DAG_ID,
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
    tags=["e2e"],
):
    # 12 examples, batch size 1 ("auto"), 3 epochs: 36 steps, a metrics event every 10 and a checkpoint
    # every 12, so a job held and moved on step by step emits events while each try is deferred.
    OpenAIFineTuningJobOperator(
        task_id="fine_tune",
        model="gpt-4o-mini-2024-07-18",
        training_file=TRAINING,
        hyperparameters={"n_epochs": 3},
        suffix=FINE_TUNING_SUFFIX,
        deferrable=True,
        poll_interval=1.0,
        output_path=f"{RESULTS}/{FINE_TUNING_DAG_ID}/{{{{ run_id }}}}",
    )
