"""One decision for batches: is it done, failed, or still going — and what does the user see?

The hook's wait, the sensor's poke and the trigger's run all call `assess`, so a status
means the same thing everywhere. A status this code does not know (one the API added
later) counts as still going, with a message that says so: a wait that keeps polling
ends at its timeout if nothing changes, while failing would abandon a batch that may
well complete, and retrying would pay for it twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from airflow_openai.assessment import FAILED_OR_CANCELLED, Judged
from airflow_openai.models import Batch

RUNNING = frozenset({"validating", "in_progress", "finalizing", "cancelling"})
FAILED = FAILED_OR_CANCELLED
# `expired` keeps the lines that finished before the window closed: the results are
# usable, and the operator can resubmit what was left. So it counts as an ending with
# output, like `completed`.
ENDED_WITH_OUTPUT = frozenset({"completed", "expired"})


@dataclass(frozen=True)
class BatchAssessment(Judged):
    batch_id: str
    done: int = 0
    failed: int = 0
    total: int = 0

    @property
    def processed(self) -> int:
        """Requests answered, well or not: what the progress rate counts."""
        return self.done + self.failed

    @property
    def percent(self) -> float:
        return 100.0 * (self.done + self.failed) / self.total if self.total else 0.0


def assess(batch: Batch) -> BatchAssessment:
    """Where `batch` stands, with a one-line progress message for the task log."""
    counts = batch.request_counts
    done, failed, total = (counts.completed, counts.failed, counts.total) if counts else (0, 0, 0)
    progress = f"{done + failed}/{total} requests ({100.0 * (done + failed) / total if total else 0.0:.1f}%), {failed} failed"
    status = batch.status
    if status in RUNNING:
        return BatchAssessment(
            status, "running", f"Batch {batch.id} is {status}: {progress}", batch.id, done, failed, total
        )
    if status in ENDED_WITH_OUTPUT:
        return BatchAssessment(
            status, "succeeded", f"Batch {batch.id} {status}: {progress}", batch.id, done, failed, total
        )
    if status in FAILED:
        reason = _errors(batch) if status == "failed" else _cancelled(batch)
        return BatchAssessment(
            status, "failed", f"Batch {batch.id} {status}: {reason}", batch.id, done, failed, total
        )
    message = (
        f"Batch {batch.id} has status {status!r}, unknown to this provider; "
        f"treating it as still running: {progress}"
    )
    return BatchAssessment(status, "running", message, batch.id, done, failed, total)


def _errors(batch: Batch) -> str:
    if not batch.errors or not batch.errors.data:
        return "no reason given"
    shown = [
        f"line {error.line}: {error.code}: {error.message}"
        if error.line
        else f"{error.code}: {error.message}"
        for error in batch.errors.data[:5]
    ]
    more = len(batch.errors.data) - len(shown)
    return "; ".join(shown) + (f" (and {more} more)" if more > 0 else "")


def _cancelled(batch: Batch) -> str:
    """A waiter that cancels a batch itself says so before it looks again, so a cancelled batch
    seen here was cancelled by someone else: the dashboard, another task, a script."""
    when = getattr(batch, "cancelled_at", None) or getattr(batch, "cancelling_at", None)
    at = f" at {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(when))}" if isinstance(when, int) else ""
    return f"it was cancelled outside this task{at}"
