"""Watching the file batches of one vector store: their latest assessments, their progress rate,
and when to look again.

The pace comes from `airflow_openai.pacing.PollPacing` (shared with batches and fine-tuning
jobs): a tenth of the batches' age, capped by the estimated time to finish once files are
seen being processed. While polls fail because the API is down, they back off instead, and
the wait gives up only when no poll has succeeded for the outage budget. The hook's
blocking wait and the trigger drive the same watch.
"""

from __future__ import annotations

from airflow_openai.pacing import PollPacing
from airflow_openai.vector_stores.assessment import FileBatchAssessment
from airflow_openai.watching import ProgressWatch

__all__ = ["FileBatchWatch", "PollPacing"]


class FileBatchWatch(ProgressWatch[FileBatchAssessment]):
    """One wait over several file batches of one vector store."""

    noun = "file batch"

    def __init__(
        self,
        vector_store_id: str,
        batch_ids: list[str],
        pacing: PollPacing,
        started_at: float,
        now: float | None = None,
    ) -> None:
        super().__init__(batch_ids, pacing, started_at, now)
        self.vector_store_id = vector_store_id
        self.batch_ids = self.ids

    def describe(self) -> str:
        return f"file batches {', '.join(self.ids)} of vector store {self.vector_store_id}"

    def counts(self) -> dict[str, dict[str, int]]:
        """Batch id → its files completed, failed, cancelled and in all, as last seen."""
        return {batch_id: a.counts() for batch_id, a in self.latest.items()}

    def summary(self) -> str:
        """``3 file batches finished: 1,497 of 1,500 files completed, 3 failed``, over every batch seen."""
        completed = sum(a.completed for a in self.latest.values())
        failed = sum(a.failed for a in self.latest.values())
        total = sum(a.total for a in self.latest.values())
        batches = f"{len(self.batch_ids)} file batch{'es' if len(self.batch_ids) != 1 else ''}"
        return (
            f"{batches} of vector store {self.vector_store_id} finished: "
            f"{completed:,} of {total:,} files completed, {failed:,} failed"
        )
