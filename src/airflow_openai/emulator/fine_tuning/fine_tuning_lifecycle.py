"""How a fine-tuning job moves on: validating_files → queued → running → succeeded, or failed, cancelled.

As with batches, progress is computed from the emulated clock whenever a job is read, so
time can run fast, be advanced at will, and survive a restart; a poll mid-run sees the
events, checkpoints and status of that moment. In emulated seconds: files are validated
20 s after creation, the job waits 30 s in the queue, each training step takes 3 s, and
the fine-tuned model is ready 20 s after the last step. 20 to 50 examples ("auto"
hyperparameters) thus take 6 to 9 emulated minutes, a few seconds at the default speed.

Events (newest first in the API) are `type: "message"` with `data: {}`, except the metrics
events, `type: "metrics"` with `data: {step, train_loss, train_mean_token_accuracy,
total_steps}` and the validation figures when there is a validation file. A checkpoint is
saved, and usable as a model, at the end of each epoch.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from airflow_openai.emulator.core.errors import bad_request
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.fine_tuning import fine_tuning_plan as plan
from airflow_openai.emulator.fine_tuning import fine_tuning_results as results
from airflow_openai.emulator.fine_tuning import training_curve, training_files

KIND = "fine_tuning.job"
VALIDATING_SECONDS = 20
QUEUED_SECONDS = 30
STEP_SECONDS = 3
FINISHING_SECONDS = 20
MIN_TRAINING_EXAMPLES = 10
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
INVALID_FILE = "invalid_training_file"


def create(
    state: EmulatorState,
    *,
    base: plan.FineTunable,
    training_file: str,
    validation_file: str | None,
    hyperparameters: dict[str, Any],
    suffix: str | None,
    seed: int | None,
    integrations: list[dict[str, Any]] | None,
    metadata: dict[str, str] | None,
) -> Obj:
    """A new job, validating its files; it takes the failure planned for the next job, if any."""
    now = state.now()
    job_id = state.ids.new("ftjob-")
    failure = state.faults.next_fine_tuning_failure()
    job: Obj = {
        "object": "fine_tuning.job",
        "id": job_id,
        "model": base.snapshot,
        "created_at": now,
        "finished_at": None,
        "fine_tuned_model": None,
        "organization_id": plan.ORGANIZATION,
        "result_files": [],
        "status": "validating_files",
        "validation_file": validation_file,
        "training_file": training_file,
        "hyperparameters": hyperparameters,
        "method": {"type": "supervised", "supervised": {"hyperparameters": hyperparameters}},
        "trained_tokens": None,
        "error": None,
        "user_provided_suffix": suffix,
        "seed": _default_seed(job_id) if seed is None else seed,
        "estimated_finish": None,
        "integrations": [
            {"type": item["type"], "wandb": {**item["wandb"], "run_id": job_id}}
            for item in integrations or []
        ],
        "metadata": metadata,
        "_family": base.family,
        "_format": base.format,
        "_suffix": state.ids.new("", 8),
        "_trained_steps": 0,
        "_fail": None if failure is None else failure.to_dict(),
        "_events": [],
        "_checkpoints": [],
    }
    _event(state, job, now, f"Created fine-tuning job: {job_id}")
    _event(state, job, now, f"Validating training file: {training_file}")
    if validation_file:
        _event(state, job, now, f"Validating validation file: {validation_file}")
    return state.store.put(KIND, job)


def _default_seed(job_id: str) -> int:
    """The seed a job reports when none was asked for: derived from its id, so it is repeatable."""
    return int.from_bytes(hashlib.sha256(job_id.encode()).digest()[:4], "big") & plan.MAX_SEED


def render(job: Obj) -> Obj:
    """The job as the API shows it: private fields removed, unset ones kept as null (the spec
    requires `error`, `finished_at`, `fine_tuned_model`... and makes them nullable)."""
    return {key: value for key, value in job.items() if not key.startswith("_")}


def events(job: Obj) -> list[Obj]:
    return list(reversed(job["_events"]))


def checkpoints(job: Obj) -> list[Obj]:
    return list(reversed(job["_checkpoints"]))


def advance(state: EmulatorState, job: Obj) -> Obj:
    """Bring `job` up to the current emulated time and save it."""
    with state.lock:
        fresh = state.store.get(KIND, job["id"]) or job
        if fresh["status"] in TERMINAL:
            return fresh
        before = json.dumps(fresh, sort_keys=True)
        now = state.now()
        while fresh["status"] not in TERMINAL and _move(state, fresh, now):
            pass
        if json.dumps(fresh, sort_keys=True) == before:
            return fresh
        return state.store.put(KIND, fresh)


def advance_all(state: EmulatorState) -> None:
    """Bring every unfinished job up to date (so `/v1/models` lists the models they have made)."""
    for job in state.store.all(KIND):
        if job["status"] not in TERMINAL:
            advance(state, job)


def _move(state: EmulatorState, job: Obj, now: int) -> bool:
    """Take the next transition due by `now`; False when none is."""
    status = job["status"]
    if status == "validating_files":
        at = job["created_at"] + VALIDATING_SECONDS
        if now < at:
            return False
        _validate(state, job, at)
        return True
    if status == "queued":
        at = job["_queued_at"] + QUEUED_SECONDS
        if now < at:
            return False
        _start(state, job, at)
        return True
    if status == "running":
        started, total = job["_started_at"], job["_plan"]["total_steps"]
        due = min(total, (now - started) // STEP_SECONDS)
        _train(state, job, due, lambda step: started + step * STEP_SECONDS)
        if job["status"] != "running":
            return True
        done = started + total * STEP_SECONDS + FINISHING_SECONDS
        if job["_trained_steps"] >= total and now >= done:
            _succeed(state, job, done)
            return True
    return False


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


def _validate(state: EmulatorState, job: Obj, at: int) -> None:
    try:
        training = _examples(state, job, "training_file", MIN_TRAINING_EXAMPLES)
        if job["validation_file"]:
            _examples(state, job, "validation_file", 1)
    except _Refused as refused:
        _fail(state, job, at, INVALID_FILE, refused.message, refused.param)
        return
    results.save_examples(state, job["id"], training)
    hyperparameters = plan.resolve(job["hyperparameters"], len(training))
    per_epoch = plan.steps_per_epoch(len(training), hyperparameters["batch_size"])
    job["hyperparameters"] = hyperparameters
    job["method"] = {"type": "supervised", "supervised": {"hyperparameters": hyperparameters}}
    job["_plan"] = {
        "examples": len(training),
        "steps_per_epoch": per_epoch,
        "total_steps": per_epoch * hyperparameters["n_epochs"],
        "tokens_per_epoch": sum(example.tokens for example in training),
        "validated": bool(job["validation_file"]),
    }
    job.update(status="queued", _queued_at=at)
    _event(state, job, at, "Files validated, moving job to queued state")


def _start(state: EmulatorState, job: Obj, at: int) -> None:
    total = job["_plan"]["total_steps"]
    job.update(
        status="running",
        _started_at=at,
        estimated_finish=at + total * STEP_SECONDS + FINISHING_SECONDS,
    )
    _event(state, job, at, "Fine-tuning job started")


def metrics_every(total_steps: int) -> int:
    """A metrics event every 10 steps (every 1% of the steps for long jobs), and at the last step."""
    return max(10, total_steps // 100)


def _train(state: EmulatorState, job: Obj, target: int, when: Callable[[int], int]) -> None:
    """Run steps `_trained_steps` + 1 .. `target`, step `s` at time `when(s)`."""
    job_plan = job["_plan"]
    total = job_plan["total_steps"]
    failure = job.get("_fail")
    multiplier = job["hyperparameters"]["learning_rate_multiplier"]
    for step in range(job["_trained_steps"] + 1, target + 1):
        at = when(step)
        if failure and step >= min(failure["at_step"], total):
            event = f"Step {step}/{total}: {failure['message']}"
            _fail(state, job, at, failure["code"], failure["message"], None, event=event)
            return
        metrics = training_curve.step_metrics(job["seed"], step, total, multiplier, job_plan["validated"])
        if step % metrics_every(total) == 0 or step == total:
            message = f"Step {step}/{total}: training loss={metrics['train_loss']:.2f}"
            if "valid_loss" in metrics:
                message += f", validation loss={metrics['valid_loss']:.2f}"
            _event(state, job, at, message, kind="metrics", data={**metrics, "total_steps": total})
        if step % job_plan["steps_per_epoch"] == 0:
            _checkpoint(state, job, step, at, metrics)
        job["_trained_steps"] = step


def _model_name(job: Obj) -> str:
    return plan.model_name(job["model"], job["user_provided_suffix"], job["_suffix"])


def _checkpoint(state: EmulatorState, job: Obj, step: int, at: int, metrics: dict[str, Any]) -> None:
    job_plan = job["_plan"]
    name = plan.checkpoint_name(_model_name(job), step)
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
    _event(state, job, at, f"Checkpoint created at step {step}: {name}")


def _succeed(state: EmulatorState, job: Obj, at: int) -> None:
    name = _model_name(job)
    result = results.store_result_file(state, job)
    results.register_model(state, name, job, at)
    job_plan = job["_plan"]
    job.update(
        status="succeeded",
        finished_at=at,
        fine_tuned_model=name,
        result_files=[result["id"]],
        trained_tokens=job_plan["tokens_per_epoch"] * job["hyperparameters"]["n_epochs"],
        estimated_finish=None,
    )
    _event(state, job, at, f"New fine-tuned model created: {name}")
    _event(state, job, at, "The job has successfully completed")


def _fail(
    state: EmulatorState,
    job: Obj,
    at: int,
    code: str,
    message: str,
    param: str | None,
    *,
    event: str | None = None,
) -> None:
    job.update(
        status="failed",
        finished_at=at,
        estimated_finish=None,
        error={"code": code, "message": message, "param": param},
    )
    _event(state, job, at, event or message, level="error")


def _cancel(state: EmulatorState, job: Obj, at: int) -> None:
    job.update(status="cancelled", finished_at=at, estimated_finish=None)
    _event(state, job, at, "Fine tuning process stopping due to job cancellation", level="warn")


def _event(
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


def cancel(state: EmulatorState, job: Obj) -> Obj:
    """Cancel at once, as the service does; a finished job is a 400."""
    with state.lock:
        job = advance(state, job)
        if job["status"] in TERMINAL:
            raise bad_request(f"Cannot cancel a job that has already {job['status']}: {job['id']}.")
        _cancel(state, job, state.now())
        return state.store.put(KIND, job)


def plan_failure(state: EmulatorState, job: Obj, failure: dict[str, Any]) -> Obj:
    """Make `job` fail at `failure["at_step"]` (at its next step if that one has passed)."""
    with state.lock:
        job = advance(state, job)
        if job["status"] in TERMINAL:
            raise bad_request(f"The fine-tuning job {job['id']} has already {job['status']}.", param="job_id")
        job["_fail"] = failure
        return state.store.put(KIND, job)


def force(state: EmulatorState, job: Obj, status: str) -> Obj:
    """Move a job straight on to `status` (control plane), doing now what that state implies:
    validating its files, running its remaining steps, making its model."""
    with state.lock:
        job = advance(state, job)
        if job["status"] in TERMINAL:
            return job
        now = state.now()
        if status == "cancelled":
            _cancel(state, job, now)
        elif status == "failed":
            _fail(state, job, now, "internal_error", "The job failed due to an internal error.", None)
        else:
            if job["status"] == "validating_files":
                _validate(state, job, now)
            if status in ("running", "succeeded") and job["status"] == "queued":
                _start(state, job, now)
            if status == "succeeded" and job["status"] == "running":
                _train(state, job, job["_plan"]["total_steps"], lambda step: now)
                if job["status"] == "running":
                    _succeed(state, job, now)
        return state.store.put(KIND, job)
