"""What each move of a fine-tuning job does (the moves themselves are the table in
`fine_tuning_lifecycle`): its files validated, its steps trained, its model made, its failure.

Events (newest first in the API) are `type: "message"` with `data: {}`, except the metrics
events, `type: "metrics"` with `data: {step, train_loss, train_mean_token_accuracy,
total_steps}` and the validation figures when there is a validation file. A checkpoint is
saved, and usable as a model, at the end of each epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.fine_tuning import fine_tuning_plan as plan
from airflow_openai.emulator.fine_tuning import fine_tuning_results as results
from airflow_openai.emulator.fine_tuning import training_curve, training_files

STEP_SECONDS = 3
FINISHING_SECONDS = 20
"""Emulated seconds from the last step to the model made."""
MIN_TRAINING_EXAMPLES = 10
INVALID_FILE = "invalid_training_file"


class _Refused(Exception):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


def _examples(state: EmulatorState, job: Obj, param: str, minimum: int) -> list[training_files.Example]:
    file_id = job[param]
    label = param.removesuffix("_file")
    path = state.store.content(file_id)
    if state.store.get("file", file_id) is None or not path.exists():
        raise _Refused(param, f"The job failed because the {label} file {file_id} no longer exists.")
    try:
        return training_files.read(path, job["_format"], job["model"], minimum)
    except training_files.InvalidFile as problem:
        raise _Refused(param, f"The job failed due to an invalid {label} file. {problem}") from None


def validate(state: EmulatorState, job: Obj, at: int) -> str:
    """Read the files: the job `queued` with its plan, or `failed` with what is wrong with them."""
    try:
        examples = _examples(state, job, "training_file", MIN_TRAINING_EXAMPLES)
        if job["validation_file"]:
            _examples(state, job, "validation_file", 1)
    except _Refused as refused:
        fail(state, job, at, INVALID_FILE, refused.message, refused.param)
        return "failed"
    results.save_examples(state, job["id"], examples)
    hyperparameters = plan.resolve(job["hyperparameters"], len(examples))
    per_epoch = plan.steps_per_epoch(len(examples), hyperparameters["batch_size"])
    job["hyperparameters"] = hyperparameters
    job["method"] = {"type": "supervised", "supervised": {"hyperparameters": hyperparameters}}
    job["_plan"] = {
        "examples": len(examples),
        "steps_per_epoch": per_epoch,
        "total_steps": per_epoch * hyperparameters["n_epochs"],
        "tokens_per_epoch": sum(example.tokens for example in examples),
        "validated": bool(job["validation_file"]),
    }
    event(state, job, at, "Files validated, moving job to queued state")
    return "queued"


def start(state: EmulatorState, job: Obj, at: int) -> None:
    """The job is running: when its model should be ready."""
    total = job["_plan"]["total_steps"]
    job["estimated_finish"] = at + total * STEP_SECONDS + FINISHING_SECONDS
    event(state, job, at, "Fine-tuning job started")


def metrics_every(total_steps: int) -> int:
    """A metrics event every 10 steps (every 1% of the steps for long jobs), and at the last step."""
    return max(10, total_steps // 100)


def train(state: EmulatorState, job: Obj, target: int, when: Callable[[int], int]) -> None:
    """Run steps `_trained_steps` + 1 .. `target`, step `s` at time `when(s)`."""
    job_plan = job["_plan"]
    total = job_plan["total_steps"]
    multiplier = job["hyperparameters"]["learning_rate_multiplier"]
    for step in range(job["_trained_steps"] + 1, target + 1):
        at = when(step)
        metrics = training_curve.step_metrics(job["seed"], step, total, multiplier, job_plan["validated"])
        if step % metrics_every(total) == 0 or step == total:
            message = f"Step {step}/{total}: training loss={metrics['train_loss']:.2f}"
            if "valid_loss" in metrics:
                message += f", validation loss={metrics['valid_loss']:.2f}"
            event(state, job, at, message, kind="metrics", data={**metrics, "total_steps": total})
        if step % job_plan["steps_per_epoch"] == 0:
            checkpoint(state, job, step, at, metrics)
        job["_trained_steps"] = step


def last_step(state: EmulatorState, job: Obj) -> int:
    """The last step the job trains: the one before its planned failure, if any."""
    return failing_step(job) - 1 if failure_planned(state, job) else job["_plan"]["total_steps"]


def train_until(state: EmulatorState, job: Obj, until: int) -> None:
    """The steps due by `until`, step `s` at `_started_at + s * STEP_SECONDS`."""
    started = job["_started_at"]
    due = min(last_step(state, job), int(until - started) // STEP_SECONDS)
    train(state, job, due, lambda step: started + step * STEP_SECONDS)


def failing_step(job: Obj) -> int:
    """The step a planned failure strikes: `at_step` (the last step, if the job has fewer), or the next
    step when that one has passed."""
    total = job["_plan"]["total_steps"]
    return max(job["_trained_steps"] + 1, min(job["_fail"]["at_step"], total))


def failure_planned(state: EmulatorState, job: Obj) -> bool:
    """A failure is planned, and some step is left for it to strike."""
    return job.get("_fail") is not None and failing_step(job) <= job["_plan"]["total_steps"]


def fail_planned(state: EmulatorState, job: Obj, at: int) -> None:
    """The planned failure strikes: the job fails at its step, with the failure's code and message."""
    failure, step, total = job["_fail"], failing_step(job), job["_plan"]["total_steps"]
    note = f"Step {step}/{total}: {failure['message']}"
    fail(state, job, at, failure["code"], failure["message"], None, note=note)


def model_name(job: Obj) -> str:
    return plan.model_name(job["model"], job["user_provided_suffix"], job["_suffix"])


def checkpoint(state: EmulatorState, job: Obj, step: int, at: int, metrics: dict[str, Any]) -> None:
    job_plan = job["_plan"]
    name = plan.checkpoint_name(model_name(job), step)
    figures = dict(metrics)
    if job_plan["validated"]:
        multiplier = job["hyperparameters"]["learning_rate_multiplier"]
        figures.update(training_curve.full_validation(step, job_plan["total_steps"], multiplier))
    job["_checkpoints"].append(
        {
            "object": "fine_tuning.job.checkpoint",
            "id": state.ids.new("ftckpt_"),
            "created_at": at,
            "fine_tuned_model_checkpoint": name,
            "fine_tuning_job_id": job["id"],
            "metrics": figures,
            "step_number": step,
        }
    )
    results.register_model(state, name, job, at)
    event(state, job, at, f"Checkpoint created at step {step}: {name}")


def succeed(state: EmulatorState, job: Obj, at: int) -> None:
    """The model is made: registered, with the result file of the job's metrics."""
    name = model_name(job)
    result = results.store_result_file(state, job)
    results.register_model(state, name, job, at)
    job_plan = job["_plan"]
    job.update(
        fine_tuned_model=name,
        result_files=[result["id"]],
        trained_tokens=job_plan["tokens_per_epoch"] * job["hyperparameters"]["n_epochs"],
        estimated_finish=None,
    )
    event(state, job, at, f"New fine-tuned model created: {name}")
    event(state, job, at, "The job has successfully completed")


def fail(
    state: EmulatorState,
    job: Obj,
    at: int,
    code: str,
    message: str,
    param: str | None,
    *,
    note: str | None = None,
) -> None:
    """What a failed job shows: its error, and an error event (`note`, else the message)."""
    job.update(estimated_finish=None, error={"code": code, "message": message, "param": param})
    event(state, job, at, note or message, level="error")


def cancelled(state: EmulatorState, job: Obj, at: int) -> None:
    job["estimated_finish"] = None
    event(state, job, at, "Fine tuning process stopping due to job cancellation", level="warn")


def event(
    state: EmulatorState,
    job: Obj,
    at: int,
    message: str,
    *,
    level: str = "info",
    kind: str = "message",
    data: dict[str, Any] | None = None,
) -> None:
    job["_events"].append(
        {
            "object": "fine_tuning.job.event",
            "id": state.ids.new("ftevent-"),
            "created_at": at,
            "level": level,
            "message": message,
            "data": data or {},
            "type": kind,
        }
    )
