"""One decision for assistant runs: done, failed, waiting on tool outputs, or still going — and what
does the user see?

The hook's wait, the sensor's poke and the trigger's run all call `assess`, so a status means
the same thing everywhere. A run that `requires_action` waits on function calls only its
caller can answer: its outcome is `action`, carrying the calls; the operator answers them
(in the worker, never in the triggerer), and a sensor, which only watches, fails naming them.
A status this code does not know (one the API added later) counts as still going, with a
message that says so: failing would abandon a run that may well finish, and a retry would
start, and pay for, another one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from airflow_openai.assessment import Judged, Outcome
from airflow_openai.models import RunObject

RUNNING = frozenset({"queued", "in_progress", "cancelling"})
"""`cancelling` goes on to `cancelled`, which is seen at a later poll."""
FAILED = frozenset({"failed", "incomplete", "expired", "cancelled"})


@dataclass(frozen=True)
class RunAssessment(Judged):
    run_id: str
    thread_id: str
    tool_calls: tuple[dict[str, str], ...] = ()
    """For `action`: the calls waiting for outputs, each ``{"id", "name", "arguments"}``."""


def assess(run: RunObject) -> RunAssessment:
    """Where `run` stands, with a one-line message for the task log."""
    status = run.status
    name = f"Run {run.id} on thread {run.thread_id}"

    def judged(outcome: Outcome, message: str, calls: tuple[dict[str, str], ...] = ()) -> RunAssessment:
        return RunAssessment(status, outcome, message, run.id, run.thread_id, calls)

    if status in RUNNING:
        return judged("running", f"{name} is {status}")
    if status == "completed":
        return judged("succeeded", f"{name} completed{_usage(run)}")
    if status == "requires_action":
        calls = tuple(
            {"id": call.id, "name": call.function.name, "arguments": call.function.arguments}
            for call in run.tool_calls
        )
        waiting = ", ".join(f"{call['name']}({call['id']})" for call in calls) or "none listed"
        return judged("action", f"{name} requires tool outputs: {waiting}", calls)
    if status in FAILED:
        return judged("failed", f"{name} {_ending(run)}")
    message = f"{name} has status {status!r}, unknown to this provider; treating it as still running"
    return judged("running", message)


def _ending(run: RunObject) -> str:
    """How the run ended, in the server's words where it gives any."""
    if run.status == "failed":
        error = run.last_error
        if error is None or not (error.message or error.code):
            return "failed: no reason given"
        code = f" ({error.code})" if error.code and error.message else ""
        return f"failed: {error.message or error.code}{code}"
    if run.status == "incomplete":
        reason = run.incomplete_details.reason if run.incomplete_details else None
        return f"ended incomplete: it reached {reason}" if reason else "ended incomplete: no reason given"
    if run.status == "expired":
        at = f" at {_utc(run.expires_at)}" if run.expires_at else ""
        return (
            f"expired{at}: it did not finish in time "
            "(a run waiting on tool outputs expires 10 minutes after it was created)"
        )
    # A waiter that cancels its run itself says so before it looks again, so a cancelled run
    # seen here was cancelled by someone else: the dashboard, another task, a script.
    at = f" at {_utc(run.cancelled_at)}" if run.cancelled_at else ""
    return f"was cancelled outside this task{at}"


def _usage(run: RunObject) -> str:
    usage = run.usage
    if usage is None:
        return ""
    return (
        f": {usage.total_tokens:,} tokens "
        f"({usage.prompt_tokens:,} prompt, {usage.completion_tokens:,} completion)"
    )


def _utc(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))
