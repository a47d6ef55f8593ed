"""The literal shapes the README shows (`<!-- shape: name -->` blocks) are what the operators return and write.

One DAG run against the emulator makes each of them for real: the batch operator's manifest (waited
for, and only submitted), a result row that succeeded and one the service refused, the fine-tuning
operator's result and the vector-store operator's. Each README literal must have exactly the keys of
the real value, and, for the nested dicts named in `NESTED`, exactly their keys too; the values shown
are examples.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any, Literal

import pytest

from tests.docs.readme import marked

SHAPES = {
    "batch-manifest": ("summarise", "return"),
    "batch-manifest-submitted": ("submitted", "return"),
    "batch-row-succeeded": ("summarise", "succeeded"),
    "batch-row-failed": ("refused", "failed"),
    "fine-tuning-result": ("fine_tune", "return"),
    "vector-store-result": ("ingest", "return"),
}
"""Each shape's task in the DAG below, and which of its values: the return value, or a row of its results."""
NESTED = {
    "batch-manifest": ("usage",),
    "batch-row-succeeded": ("metadata",),
    "batch-row-failed": ("error",),
    "fine-tuning-result": ("hyperparameters",),
    "vector-store-result": ("file_counts",),
}


def _records(count: int) -> list[dict[str, Any]]:
    return [
        {
            "messages": [
                {"role": "user", "content": f"ticket {n}: charged twice"},
                {"role": "assistant", "content": "billing"},
            ]
        }
        for n in range(count)
    ]


@pytest.fixture(scope="module")
def real_values(airflow_db, openai_emulator, tmp_path_factory) -> dict[str, Any]:
    import pendulum
    from airflow.sdk import DAG
    from pydantic import BaseModel

    from airflow_openai.emulator.server import DEFAULT_SPEED
    from airflow_openai.operators.batch import OpenAIBatchOperator
    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator
    from airflow_openai.operators.vector_stores import OpenAIVectorStoreIngestOperator
    from tests.support.dag_runner import run_dag, task_states, xcom_value

    class ReviewSummary(BaseModel):
        sentiment: Literal["positive", "negative", "mixed"]
        summary: str

    folder: Path = tmp_path_factory.mktemp("shapes")
    (folder / "handbook").mkdir()
    (folder / "handbook" / "intro.md").write_text("# Handbook\n\nAnswer every ticket within a day.\n")
    openai_emulator.reset()
    openai_emulator.set_speed(600)
    fast = {"poll_interval": 0.3}
    rows = [
        {
            "prompt": f"Review {n}: slow shipping.",
            "custom_id": f"review-{n}",
            "metadata": {"product": "kettle"},
        }
        for n in range(2)
    ]
    try:
        with DAG("readme_shapes", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")) as dag:
            OpenAIBatchOperator(
                task_id="summarise",
                prompts=rows,
                model="gpt-4o-mini",
                response_format=ReviewSummary,
                output_path=str(folder / "summaries.jsonl"),
                **fast,
            )
            OpenAIBatchOperator(
                task_id="submitted", prompts=["a"], model="gpt-4o-mini", wait_for_completion=False
            )
            OpenAIBatchOperator(
                task_id="refused",
                requests=[
                    {
                        "custom_id": "r-0",
                        "body": {"input": "a", "dimensions": 99999},
                        "metadata": {"product": "kettle"},
                    }
                ],
                endpoint="/v1/embeddings",
                model="text-embedding-3-small",
                max_failed_fraction=1.0,
                output_path=str(folder / "refused.jsonl"),
                **fast,
            )
            OpenAIFineTuningJobOperator(
                task_id="fine_tune",
                model="gpt-4o-mini-2024-07-18",
                training_file=_records(12),
                validation_file=_records(3),
                suffix="ticket-router",
                output_path=str(folder / "fine_tune"),
                **fast,
            )
            OpenAIVectorStoreIngestOperator(
                task_id="ingest", source=f"{folder}/handbook/**/*", store_key="readme-shapes", **fast
            )
        dag_run = run_dag(dag)
        assert str(dag_run.state) == "success", task_states(dag_run)
        values: dict[str, Any] = {}
        for name, (task_id, which) in SHAPES.items():
            value = xcom_value(dag_run, task_id)
            if which != "return":
                lines = Path(value["output_path"]).read_text().splitlines()
                value = next(row for row in map(json.loads, lines) if row["status"] == which)
            values[name] = value
        return values
    finally:
        openai_emulator.set_speed(DEFAULT_SPEED)


@pytest.mark.parametrize("block", marked("shape"), ids=lambda block: block.argument)
def test_the_shape_the_readme_shows_is_the_real_one(block, real_values):
    shown = ast.literal_eval(block.code)
    real = real_values[block.argument]
    assert sorted(shown) == sorted(real), (
        f"README.md line {block.line} ({block.argument}): keys differ from a real run"
    )
    for key in NESTED.get(block.argument, ()):
        assert sorted(shown[key]) == sorted(real[key]), (
            f"README.md line {block.line}: the keys of {key!r} differ"
        )
    if "status" in real and block.argument.startswith("batch-row"):
        assert shown["status"] == real["status"]


def test_every_shape_has_its_block():
    assert sorted(block.argument for block in marked("shape")) == sorted(SHAPES)
