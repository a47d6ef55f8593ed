"""What a fine-tuning job leaves behind: its examples, its models and its result file.

The examples are copied out of the training file at validation, so the fine-tuned model
still answers after the user deletes that file (as is usual once a job has run). Each
fine-tuned or checkpoint model is a stored `model` object, listed by `/v1/models` and
deletable there, whose private fields say which examples it answers from: `_family` and
`_examples` are the contract with `inference.tuned_answers`, which reads them through the store.
"""

from __future__ import annotations

import json
from typing import Any

from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.files.storing import store_file
from airflow_openai.emulator.fine_tuning import training_curve
from airflow_openai.emulator.fine_tuning.fine_tuning_plan import ORGANIZATION
from airflow_openai.emulator.fine_tuning.training_files import Example

RESULT_FILENAME = "step_metrics.csv"
RESULT_PURPOSE = "fine-tune-results"
RESULT_HEADER = ("step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy")
METRICS = ("step", "train_loss", "train_mean_token_accuracy", "valid_loss", "valid_mean_token_accuracy")
"""The step metrics each column of the result file holds, in `RESULT_HEADER`'s order."""


def examples_name(job_id: str) -> str:
    """The content name under which a job's examples are kept."""
    return f"{job_id}.examples.json"


def save_examples(state: EmulatorState, job_id: str, examples: list[Example]) -> None:
    path = state.store.content_path(examples_name(job_id))
    path.write_text(json.dumps([example.to_dict() for example in examples]))


def register_model(state: EmulatorState, name: str, job: Obj, created: int) -> None:
    """Make `name` a model of the organization that answers from `job`'s examples."""
    state.store.put(
        "model",
        {
            "id": name,
            "object": "model",
            "created": created,
            "owned_by": ORGANIZATION,
            "_job": job["id"],
            "_family": job["_family"],
            "_examples": examples_name(job["id"]),
        },
    )


def store_result_file(state: EmulatorState, job: Obj) -> Obj:
    """The job's per-step metrics as the service's CSV, stored as a `fine-tune-results` file;
    validation cells are empty when the job has no validation file."""
    plan = job["_plan"]
    rows = [",".join(RESULT_HEADER)]
    for step in range(1, plan["total_steps"] + 1):
        metrics = training_curve.step_metrics(
            job["seed"],
            step,
            plan["total_steps"],
            job["hyperparameters"]["learning_rate_multiplier"],
            plan["validated"],
        )
        rows.append(",".join(_cell(metrics.get(key)) for key in METRICS))
    spool = state.store.content_dir / f".{job['id']}.results.csv"
    spool.write_text("\n".join(rows) + "\n")
    return store_file(state, filename=RESULT_FILENAME, purpose=RESULT_PURPOSE, content=spool)


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
