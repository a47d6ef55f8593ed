"""Prompts → OpenAI Batch API → a JSONL file of joined, validated results → a task that reads them.

Runs unchanged against the real API (set the `openai_default` connection) or the local
emulator (`make demo`). Each review gets a structured summary at half the price of
direct calls; a retry of `summarise` reattaches to its batch instead of paying again.
The results file goes under `[openai] output_root` (say `s3://bucket/openai/`), where
`report` can read it on whichever worker it runs. Nothing here depends on a logical
date, so runs triggered without one (the REST API, `airflow dags trigger`) work too.

`summarise` also publishes the asset `openai://example/review-summaries` (its `outlets`): each
time it succeeds, the asset event's `extra` carries the batch ids, the counts, the tokens and
the results file's path, which changes with every run. A second DAG here,
`example_openai_batch_results`, is scheduled on that asset and reads them from the event,
without XCom and without knowing the producer's task.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pendulum
from airflow.sdk import DAG, Asset, ObjectStoragePath, Param, task
from pydantic import BaseModel

from airflow_openai.operators.batch import OpenAIBatchOperator

REVIEW_SUMMARIES = Asset("openai://example/review-summaries")
"""A stable name for the results: the file is per run, so its path travels in each event's `extra`."""


class ReviewSummary(BaseModel):
    """What we want back for every review: the answer is validated against this model."""

    sentiment: Literal["positive", "negative", "mixed"]
    summary: str
    score: int


with DAG(
    dag_id="example_openai_batch",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"reviews": Param(1000, type="integer", minimum=1, description="how many reviews to summarise")},
    tags=["openai", "example"],
) as dag:

    @task
    def load_reviews(params: dict | None = None) -> list[str]:
        count = int((params or {}).get("reviews", 1000))
        products = ["kettle", "headphones", "desk lamp", "backpack", "coffee grinder"]
        return [
            f"Review #{n} of the {products[n % len(products)]}: works as described, shipping was slow."
            for n in range(count)
        ]

    summarise = OpenAIBatchOperator(
        task_id="summarise",
        prompts=load_reviews(),
        model="gpt-4o-mini",
        system_prompt="Summarise the customer review in one sentence and rate it from 1 to 5.",
        request_parameters={"temperature": 0},
        response_format=ReviewSummary,
        poll_interval=1.0,
        max_failed_fraction=0.01,
        outlets=[REVIEW_SUMMARIES],
    )

    @task
    def report(manifest: dict) -> dict:
        """Read the joined results back: each row has the prompt, the parsed answer and the usage."""
        sentiments: dict[str, int] = {}
        examples: list[dict[str, object]] = []
        path = manifest["output_path"]  # object storage (s3://...) or, without output_root, a local path
        with ObjectStoragePath(path if "://" in path else f"file://{path}").open("r") as results:
            for line in results:
                row = json.loads(line)
                if row["status"] != "succeeded":
                    continue
                sentiments[row["parsed"]["sentiment"]] = sentiments.get(row["parsed"]["sentiment"], 0) + 1
                if len(examples) < 3:
                    examples.append(
                        {"custom_id": row["custom_id"], "prompt": row["input"], "answer": row["parsed"]}
                    )
        return {"sentiments": sentiments, "examples": examples}

    report(summarise.output)


with DAG(
    dag_id="example_openai_batch_results",
    schedule=[REVIEW_SUMMARIES],  # runs each time `summarise` has written new results
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["openai", "example"],
) as results_dag:

    @task
    def new_results(triggering_asset_events: Any = None) -> list[dict]:
        """What each batch run that triggered this one wrote: its path, counts and tokens (several
        events when the producer ran more than once since this DAG last ran)."""
        runs = []
        for event in (triggering_asset_events or {}).get(REVIEW_SUMMARIES, []):
            extra = dict(event.extra)
            print(
                f"{extra['output_path']}: {extra['succeeded']} of {extra['total']} succeeded, "
                f"{extra.get('tokens', 0)} tokens, batches {', '.join(extra['batch_ids'])}"
            )
            runs.append(extra)
        return runs

    new_results()
