"""One decision for vector-store file batches: done, failed, or still going — and what does the user see?

The hook's wait, the sensor's poke and the trigger's run all call `assess`, so a status
means the same thing everywhere. A batch that `completed` succeeded even when some of its
files failed: those are counted, and the caller reports them file by file (or fails on
too many, as the sensor's `max_failed_files` does); a batch fails only when the API says
it `failed` (every file failed) or it was `cancelled`. A status this code does not know
(one the API added later) counts as still going, with a message that says so: failing
would abandon files that may well be indexed, and a retry would upload them again.
"""

from __future__ import annotations

from dataclasses import dataclass

from airflow_openai.assessment import FAILED_OR_CANCELLED, Judged, Outcome
from airflow_openai.models.vector_stores import VectorStoreFileBatchObject

RUNNING = frozenset({"in_progress", "cancelling"})
"""`cancelling` is not in the spec's enum, yet its own cancel example and the live API return it."""
FAILED = FAILED_OR_CANCELLED


@dataclass(frozen=True)
class FileBatchAssessment(Judged):
    batch_id: str
    vector_store_id: str
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    in_progress: int = 0
    total: int = 0

    @property
    def done(self) -> int:
        """Files processed without failing (indexed, or cancelled before they were): with `failed`
        and `total`, the progress `PollPacing` paces by."""
        return self.completed + self.cancelled

    @property
    def processed(self) -> int:
        return self.completed + self.failed + self.cancelled

    @property
    def percent(self) -> float:
        return 100.0 * self.processed / self.total if self.total else 0.0

    def counts(self) -> dict[str, int]:
        """What an event or a log carries of the batch's files."""
        return {
            "completed": self.completed,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "total": self.total,
        }


def assess(batch: VectorStoreFileBatchObject) -> FileBatchAssessment:
    """Where `batch` stands, with a one-line message for the task log."""
    counts = batch.file_counts
    numbers = (counts.completed, counts.failed, counts.cancelled, counts.in_progress, counts.total)
    status = batch.status
    name = f"Vector store file batch {batch.id}"

    def judged(outcome: Outcome, message: str) -> FileBatchAssessment:
        return FileBatchAssessment(status, outcome, message, batch.id, batch.vector_store_id, *numbers)

    if status in RUNNING:
        return judged("running", f"{name} is {status}: {_progress(batch)}")
    if status == "completed":
        return judged("succeeded", f"{name} completed: {_outcome(batch)}")
    if status in FAILED:
        reason = "its files could not be indexed" if status == "failed" else _cancelled()
        return judged("failed", f"{name} {status}: {reason}; {_outcome(batch)}")
    message = (
        f"{name} has status {status!r}, unknown to this provider; "
        f"treating it as still running: {_progress(batch)}"
    )
    return judged("running", message)


def _progress(batch: VectorStoreFileBatchObject) -> str:
    """``412/500 files processed (82.4%), 3 failed``, and the cancelled ones when there are any."""
    counts = batch.file_counts
    processed = counts.completed + counts.failed + counts.cancelled
    percent = 100.0 * processed / counts.total if counts.total else 0.0
    cancelled = f", {counts.cancelled} cancelled" if counts.cancelled else ""
    return f"{processed}/{counts.total} files processed ({percent:.1f}%), {counts.failed} failed{cancelled}"


def _outcome(batch: VectorStoreFileBatchObject) -> str:
    """``497 of 500 files completed, 3 failed``: the files that failed are the caller's to name."""
    counts = batch.file_counts
    cancelled = f", {counts.cancelled} cancelled" if counts.cancelled else ""
    return f"{counts.completed} of {counts.total} files completed, {counts.failed} failed{cancelled}"


def _cancelled() -> str:
    """A waiter that cancels its batches itself says so before it looks again, so a cancelled
    batch seen here was cancelled by someone else: the dashboard, another task, a script.
    (A file batch carries no time of cancellation to name.)"""
    return "it was cancelled outside this task"
