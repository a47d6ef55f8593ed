"""Watching batches: their latest assessments, their progress rate, and when to look again.

The pace comes from `airflow_openai.pacing.PollPacing` (shared with fine-tuning jobs): a
tenth of a batch's age, capped by the estimated time to finish once the batch reports
progress. While polls fail because the API is down, they back off instead, and the wait
gives up only when no poll has succeeded for the outage budget.
"""

from __future__ import annotations

from airflow_openai.batch.assessment import BatchAssessment
from airflow_openai.pacing import PollPacing
from airflow_openai.watching import ProgressWatch

__all__ = ["BatchWatch", "PollPacing"]


class BatchWatch(ProgressWatch[BatchAssessment]):
    """One wait over several batches: their latest assessments, their observed progress rate,
    and when to look again. The hook's blocking wait and the trigger drive the same watch."""

    def __init__(
        self, batch_ids: list[str], pacing: PollPacing, started_at: float, now: float | None = None
    ) -> None:
        super().__init__(batch_ids, pacing, started_at, now)
        self.batch_ids = self.ids

    def describe(self) -> str:
        return f"batches {', '.join(self.ids)}"
