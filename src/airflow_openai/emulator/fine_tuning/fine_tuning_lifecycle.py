"""How a fine-tuning job moves on: validating_files → queued → running → succeeded, or failed, cancelled.

The moves are the table `FINE_TUNING` below (see `core.lifecycle`); what each does is in
`fine_tuning_training`. As with batches, they are taken on the emulated clock whenever a job is
read, so time can run fast, be advanced at will, and survive a restart; a poll mid-run sees the
events, checkpoints and status of that moment. In emulated seconds: files are validated 20 s
after creation, the job waits 30 s in the queue, each training step takes 3 s, and the
fine-tuned model is ready 20 s after the last step. 20 to 50 examples ("auto" hyperparameters)
thus take 6 to 9 emulated minutes, a few seconds at the default speed. A failure planned for the
job (`/_emulator/faults/fine_tuning`) strikes at its step instead.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from airflow_openai.emulator.core.errors import bad_request
from airflow_openai.emulator.core.lifecycle import Lifecycle, Transition
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.fine_tuning import fine_tuning_plan as plan
from airflow_openai.emulator.fine_tuning import fine_tuning_training as training
from airflow_openai.emulator.fine_tuning.fine_tuning_training import FINISHING_SECONDS, STEP_SECONDS

KIND = "fine_tuning.job"
VALIDATING_SECONDS = 20
QUEUED_SECONDS = 30


def _until_failure(state: EmulatorState, job: Obj) -> int:
    """From the start to the step a planned failure strikes."""
    return training.failing_step(job) * STEP_SECONDS if job.get("_fail") else 0


def _until_model(state: EmulatorState, job: Obj) -> int:
    """From the start to the model made: every step, then `FINISHING_SECONDS`."""
    return job["_plan"]["total_steps"] * STEP_SECONDS + FINISHING_SECONDS


FINE_TUNING = Lifecycle(
    transitions=(
        Transition(
            "validating_files", ("queued", "failed"), after=VALIDATING_SECONDS, enter=training.validate
        ),
        Transition("queued", "running", after=QUEUED_SECONDS, enter=training.start),
        Transition(
            "running",
            "failed",
            after=_until_failure,
            when=training.failure_planned,
            enter=training.fail_planned,
        ),
        Transition("running", "succeeded", after=_until_model, enter=training.succeed),
        Transition(
            ("validating_files", "queued", "running"), "cancelled", on="cancel", enter=training.cancelled
        ),
    ),
    stamps={
        "validating_files": "created_at",
        "queued": "_queued_at",
        "running": "_started_at",
        "succeeded": "finished_at",
        "failed": "finished_at",
        "cancelled": "finished_at",
    },
    work={"running": training.train_until},
)
"""A job's moves on the emulated clock; `cancel` asks for the one not on it."""
TERMINAL = FINE_TUNING.terminal


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
    training.event(state, job, now, f"Created fine-tuning job: {job_id}")
    training.event(state, job, now, f"Validating training file: {training_file}")
    if validation_file:
        training.event(state, job, now, f"Validating validation file: {validation_file}")
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
        FINE_TUNING.advance(state, fresh, state.now())
        if json.dumps(fresh, sort_keys=True) == before:
            return fresh
        return state.store.put(KIND, fresh)


def advance_all(state: EmulatorState) -> None:
    """Bring every unfinished job up to date (so `/v1/models` lists the models they have made)."""
    for job in state.store.all(KIND):
        if job["status"] not in TERMINAL:
            advance(state, job)


def cancel(state: EmulatorState, job: Obj) -> Obj:
    """Cancel at once, as the service does; a finished job is a 400."""
    with state.lock:
        job = advance(state, job)
        if FINE_TUNING.take(state, job, "cancelled", state.now()) is None:
            raise bad_request(f"Cannot cancel a job that has already {job['status']}: {job['id']}.")
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
            FINE_TUNING.take(state, job, "cancelled", now)
        elif status == "failed":
            FINE_TUNING.enter(job, "failed", now)
            training.fail(state, job, now, "internal_error", "The job failed due to an internal error.", None)
        else:
            if job["status"] == "validating_files":
                FINE_TUNING.take(state, job, "queued", now)
            if status in ("running", "succeeded") and job["status"] == "queued":
                FINE_TUNING.take(state, job, "running", now)
            if status == "succeeded" and job["status"] == "running":
                training.train(state, job, training.last_step(state, job), lambda step: now)
                FINE_TUNING.take(
                    state, job, "failed" if training.failure_planned(state, job) else "succeeded", now
                )
        return state.store.put(KIND, job)
