"""One decision for fine-tuning jobs: done, failed, or still going — and what does the user see?

The hook's wait, the sensor's poke and the trigger's run all call `assess`, so a status
means the same thing everywhere. A status this code does not know (one the API added
later) counts as still going, with a message that says so: failing would abandon a job
that may well finish, and a retry would start, and pay for, another one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from airflow_openai.models import FineTuningJob

Outcome = Literal["running", "succeeded", "failed"]

RUNNING = frozenset({"validating_files", "queued", "running"})
FAILED = frozenset({"failed", "cancelled"})


@dataclass(frozen=True)
class JobAssessment:
    job_id: str
    status: str
    outcome: Outcome
    message: str
    fine_tuned_model: str | None = None

    @property
    def finished(self) -> bool:
        return self.outcome != "running"


def assess(job: FineTuningJob) -> JobAssessment:
    """Where `job` stands, with a one-line message for the task log."""
    status = job.status
    if status in RUNNING:
        return JobAssessment(job.id, status, "running", f"Fine-tuning job {job.id} is {status}{_eta(job)}")
    if status == "succeeded":
        tokens = f", {job.trained_tokens:,} tokens trained" if job.trained_tokens is not None else ""
        message = f"Fine-tuning job {job.id} succeeded: model {job.fine_tuned_model}{tokens}"
        return JobAssessment(job.id, status, "succeeded", message, job.fine_tuned_model)
    if status in FAILED:
        reason = _error(job) if status == "failed" else _cancelled(job)
        return JobAssessment(job.id, status, "failed", f"Fine-tuning job {job.id} {status}: {reason}")
    message = (
        f"Fine-tuning job {job.id} has status {status!r}, unknown to this provider; "
        "treating it as still running"
    )
    return JobAssessment(job.id, status, "running", message)


def _eta(job: FineTuningJob) -> str:
    if job.status == "running" and job.estimated_finish:
        return f", estimated to finish at {_utc(job.estimated_finish)}"
    return ""


def _error(job: FineTuningJob) -> str:
    """The server's own words: its message, then the code and the parameter it blames."""
    error = job.error
    if error is None or not (error.message or error.code):
        return "no reason given"
    detail = ", ".join(part for part in (error.code, f"param {error.param}" if error.param else None) if part)
    return f"{error.message or error.code}" + (f" ({detail})" if detail and error.message else "")


def _cancelled(job: FineTuningJob) -> str:
    """A waiter that cancels its job itself says so before it looks again, so a cancelled job
    seen here was cancelled by someone else: the dashboard, another task, a script."""
    at = f" at {_utc(job.finished_at)}" if job.finished_at else ""
    return f"it was cancelled outside this task{at}"


def _utc(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))
