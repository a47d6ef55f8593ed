"""Watching the file batches of one vector store: their latest assessments, their progress rate,
and when to look again.

The pace comes from `airflow_openai.pacing.PollPacing` (shared with batches and fine-tuning
jobs): a tenth of the batches' age, capped by the estimated time to finish once files are
seen being processed. While polls fail because the API is down, they back off instead, and
the wait gives up only when no poll has succeeded for the outage budget. The hook's
blocking wait and the trigger drive the same watch.
"""

from __future__ import annotations

import time

from airflow_openai.outage import BACKOFF_CAP, Outage
from airflow_openai.pacing import PollPacing
from airflow_openai.vector_stores.assessment import FileBatchAssessment

__all__ = ["FileBatchWatch", "PollPacing"]


class FileBatchWatch:
    """One wait over several file batches of one vector store."""

    def __init__(
        self,
        vector_store_id: str,
        batch_ids: list[str],
        pacing: PollPacing,
        started_at: float,
        now: float | None = None,
    ) -> None:
        """`started_at` is when the batches were created (it paces the polls); `now`, when this
        watch begins: an outage is counted from there, not from the creation, so a trigger that
        starts again on batches hours old still gets its whole outage budget."""
        self.vector_store_id = vector_store_id
        self.batch_ids = list(batch_ids)
        self.pacing = pacing
        self.started_at = started_at
        self.latest: dict[str, FileBatchAssessment] = {}
        self._previous: dict[str, tuple[float, int]] = {}
        self._rates: dict[str, float] = {}
        self.outage = Outage(
            pacing.outage_budget,
            time.time() if now is None else now,
            first_backoff=pacing.minimum,
            cap=min(BACKOFF_CAP, pacing.maximum),
        )

    def pending(self) -> list[str]:
        """The batches not seen finished yet."""
        return [b for b in self.batch_ids if b not in self.latest or not self.latest[b].finished]

    def poll_failed(self, error: BaseException) -> None:
        """Count a poll that failed because the API is down or overloaded."""
        self.outage.failed(error)

    def outage_exceeded(self, now: float) -> str | None:
        """Why the wait gives up on an outage that outlasted its budget, naming the batches; else None."""
        if not self.outage.exhausted(now):
            return None
        return (
            f"stopped waiting for file batches {', '.join(self.batch_ids)} of vector store "
            f"{self.vector_store_id}: {self.outage.describe(now)}"
        )

    def record(self, assessment: FileBatchAssessment, now: float) -> None:
        """Keep the batch's latest assessment, and the rate its files are being processed at."""
        self.outage.succeeded(now)
        batch_id = assessment.batch_id
        processed = assessment.processed
        if batch_id in self._previous and now > self._previous[batch_id][0]:
            then, before = self._previous[batch_id]
            self._rates[batch_id] = (processed - before) / (now - then)
        self._previous[batch_id] = (now, processed)
        self.latest[batch_id] = assessment

    def failure(self) -> FileBatchAssessment | None:
        """The first batch seen failed or cancelled, if any."""
        return next((a for a in self.latest.values() if a.outcome == "failed"), None)

    def all_finished(self) -> bool:
        return len(self.latest) == len(self.batch_ids) and all(a.finished for a in self.latest.values())

    def next_delay(self, now: float, deadline: float | None = None) -> float:
        running = [a for a in self.latest.values() if not a.finished]
        delays = [
            self.pacing.next_delay(now - self.started_at, a, self._rates.get(a.batch_id)) for a in running
        ]
        delay = min(delays, default=self.pacing.minimum)
        if self.outage.ongoing:  # back off while the API is down, however close the batches seemed
            delay = max(delay, self.outage.backoff())
            delay = min(delay, max(self.outage.last_success + self.outage.budget - now, 0.0))
        if deadline is not None:
            delay = min(delay, max(deadline - now, 0.0))
        return delay

    def statuses(self) -> dict[str, str]:
        """Batch id → its last status seen (batches not seen yet are left out)."""
        return {batch_id: a.status for batch_id, a in self.latest.items()}

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
