"""Records → checked data → a fine-tuned model → the new model and its base compared on held-out prompts.

A support team wants tickets routed to a queue (billing, shipping, account, bug) by a small
model that answers with the queue's name and nothing else. `make_records` builds labelled
examples (training, validation, held-out); `check_data` runs the same checks the operator
runs, so bad data fails the run before anything is uploaded; `fine_tune` uploads the
records and trains in the triggerer, logging the job's events as they come; the two batch
tasks ask the held-out tickets of the fine-tuned model and of its base model at half the
price of direct calls; `compare` scores both and logs a table. Runs unchanged against the
real API (set the `openai_default` connection) or the local emulator (`make demo`).

`fine_tune` publishes the asset `openai://example/ticket-router` (`outlets`): its event's
`extra` names the job, the fine-tuned model, the trained tokens and the metrics file, and
`example_openai_ticket_router_ready`, scheduled on the asset, picks the new model up from it.
"""

from __future__ import annotations

import json
from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, ObjectStoragePath, task

from airflow_openai.operators.batch import OpenAIBatchOperator
from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator

TICKET_ROUTER = Asset("openai://example/ticket-router")
BASE_MODEL = "gpt-4o-mini-2024-07-18"
EPOCHS = 3
SYSTEM = (
    "Route the support ticket to one queue: billing, shipping, account or bug. Answer with the queue only."
)
TICKETS = {
    "billing": [
        "I was charged twice for my order",
        "my invoice shows the wrong amount",
        "please refund the duplicate payment",
        "the card was billed after I cancelled",
        "why is there a fee on my invoice",
        "I need a receipt for my payment",
        "the discount was not applied to the charge",
        "my subscription renewal charged the wrong price",
    ],
    "shipping": [
        "my parcel has not arrived yet",
        "the tracking number does not work",
        "the package was delivered to the wrong address",
        "can I change the delivery date",
        "the courier left my parcel outside",
        "my order is stuck in transit",
        "the box arrived damaged in delivery",
        "how long does express shipping take",
    ],
    "account": [
        "I cannot log in to my account",
        "please reset my password",
        "how do I change the email on my account",
        "my account was locked after too many attempts",
        "I want to delete my account",
        "two factor code never arrives on login",
        "how do I add a user to my team account",
        "update the phone number on my profile",
    ],
    "bug": [
        "the app crashes when I open settings",
        "the export button does nothing",
        "the page shows an error after saving",
        "images do not load in the gallery",
        "the search returns no results for any word",
        "the dashboard chart is blank since the update",
        "the app freezes when I upload a photo",
        "notifications show the wrong time",
    ],
}
HELD_OUT = {
    "billing": ["I was charged twice this month", "refund my payment please"],
    "shipping": ["my parcel is late and tracking does not work", "the package went to the wrong address"],
    "account": ["I cannot log in after the password reset", "how do I change my account email"],
    "bug": ["the app crashes when I save settings", "the export button shows an error"],
}

with DAG(
    dag_id="example_openai_fine_tuning",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["openai", "example", "fine-tuning"],
) as dag:

    @task(multiple_outputs=True)
    def make_records() -> dict[str, Any]:
        """Chat examples (every fourth one kept for validation) and the held-out tickets with their queues."""

        def example(ticket: str, queue: str) -> dict[str, Any]:
            return {
                "messages": [
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": ticket},
                    {"role": "assistant", "content": queue},
                ]
            }

        labelled = [(ticket, queue) for queue, tickets in TICKETS.items() for ticket in tickets]
        held_out = [(ticket, queue) for queue, tickets in HELD_OUT.items() for ticket in tickets]
        return {
            "training": [example(t, q) for n, (t, q) in enumerate(labelled) if n % 4 != 3],
            "validation": [example(t, q) for n, (t, q) in enumerate(labelled) if n % 4 == 3],
            "prompts": [ticket for ticket, _ in held_out],
            "expected": [queue for _, queue in held_out],
        }

    @task
    def check_data(training: list[dict[str, Any]], validation: list[dict[str, Any]]) -> dict[str, Any]:
        """Fail the run on bad data before anything is uploaded; the report says what it will cost."""
        from airflow_openai.fine_tuning.training_data import check_training_data, records_to_jsonl

        report = check_training_data(
            records_to_jsonl(training),
            model=BASE_MODEL,
            validation=records_to_jsonl(validation),
            n_epochs=EPOCHS,
        )
        print(report.summary())
        return report.to_dict()

    records = make_records()
    checked = check_data(records["training"], records["validation"])

    fine_tune = OpenAIFineTuningJobOperator(
        task_id="fine_tune",
        model=BASE_MODEL,
        training_file=records["training"],
        validation_file=records["validation"],
        suffix="ticket-router",
        hyperparameters={"n_epochs": EPOCHS},
        seed=42,
        deferrable=True,
        poll_interval=1.0,
        outlets=[TICKET_ROUTER],
    )
    checked >> fine_tune

    evaluate_tuned = OpenAIBatchOperator(
        task_id="evaluate_tuned",
        prompts=records["prompts"],
        model=fine_tune.output["fine_tuned_model"],  # the model the job made, from its XCom
        system_prompt=SYSTEM,
        request_parameters={"temperature": 0},
        poll_interval=1.0,
    )
    evaluate_base = OpenAIBatchOperator(
        task_id="evaluate_base",
        prompts=records["prompts"],
        model=BASE_MODEL,
        system_prompt=SYSTEM,
        request_parameters={"temperature": 0},
        poll_interval=1.0,
    )
    fine_tune >> evaluate_base  # the base model is asked once the job is done, so both run side by side

    @task
    def compare(
        tuned: dict[str, Any], base: dict[str, Any], expected: list[str], job: dict[str, Any]
    ) -> dict:
        """Score both models on the held-out tickets and log a side-by-side table."""

        def answers(manifest: dict[str, Any]) -> dict[str, str]:
            path = manifest["output_path"]
            with ObjectStoragePath(path if "://" in path else f"file://{path}").open("r") as rows:
                return {
                    row["custom_id"]: (row.get("content") or "").strip().lower()
                    for row in map(json.loads, rows)
                }

        tuned_answers, base_answers = answers(tuned), answers(base)
        rows = []
        for n, queue in enumerate(expected):
            custom_id = f"prompt-{n}"
            rows.append(
                {
                    "expected": queue,
                    "tuned": tuned_answers.get(custom_id, ""),
                    "base": base_answers.get(custom_id, ""),
                }
            )
        scores = {
            name: sum(row[name] == row["expected"] for row in rows) / len(rows) for name in ("tuned", "base")
        }
        print(f"{'expected':<10} {'fine-tuned':<12} base")
        for row in rows:
            print(f"{row['expected']:<10} {row['tuned'][:12]:<12} {row['base'][:40]}")
        print(f"accuracy: fine-tuned {scores['tuned']:.0%}, base {scores['base']:.0%}")
        return {
            "fine_tuned_model": job["fine_tuned_model"],
            "base_model": BASE_MODEL,
            "accuracy": scores,
            "rows": rows,
            "chart_path": job["chart_path"],
        }

    compare(evaluate_tuned.output, evaluate_base.output, records["expected"], fine_tune.output)


with DAG(
    dag_id="example_openai_ticket_router_ready",
    schedule=[TICKET_ROUTER],  # each time a ticket router has been fine-tuned
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["openai", "example", "fine-tuning"],
) as ready_dag:

    @task
    def new_model(triggering_asset_events: Any = None) -> dict:
        """The latest fine-tuned model, its job, the tokens it trained on and its metrics file."""
        events = (triggering_asset_events or {}).get(TICKET_ROUTER, [])
        latest = dict(events[-1].extra) if events else {}
        print(
            f"{latest.get('fine_tuned_model')} from job {latest.get('job_id')}: "
            f"{latest.get('tokens')} tokens trained, metrics in {latest.get('path')}"
        )
        return latest

    new_model()
