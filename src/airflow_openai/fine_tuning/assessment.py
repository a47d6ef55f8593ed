"""One decision for fine-tuning jobs: done, failed, or still going — and what does the user see?

The hook's wait, the sensor's poke and the trigger's run all call `assess`, so a status
means the same thing everywhere. A status this code does not know (one the API added
later) counts as still going, with a message that says so: failing would abandon a job
that may well finish, and a retry would start, and pay for, another one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from airflow_openai.assessment import FAILED_OR_CANCELLED, Judged
from airflow_openai.models import FineTuningJob

RUNNING = frozenset({"validating_files", "queued", "running"})
FAILED = FAILED_OR_CANCELLED


@dataclass(frozen=True)
class JobAssessment(Judged):
    job_id: str
    fine_tuned_model: str | None = None


def assess(job: FineTuningJob) -> JobAssessment:
    """Where `job` stands, with a one-line message for the task log."""
    status = job.status
    if status in RUNNING:
        return JobAssessment(status, "running", f"Fine-tuning job {job.id} is {status}{_eta(job)}", job.id)
    if status == "succeeded":
        tokens = f", {job.trained_tokens:,} tokens trained" if job.trained_tokens is not None else ""
        message = f"Fine-tuning job {job.id} succeeded: model {job.fine_tuned_model}{tokens}"
        return JobAssessment(status, "succeeded", message, job.id, job.fine_tuned_model)
    if status in FAILED:
        reason = _error(job) if status == "failed" else _cancelled(job)
        return JobAssessment(status, "failed", f"Fine-tuning job {job.id} {status}: {reason}", job.id)
    message = (
        f"Fine-tuning job {job.id} has status {status!r}, unknown to this provider; "
        "treating it as still running"
    )
    return JobAssessment(status, "running", message, job.id)


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
