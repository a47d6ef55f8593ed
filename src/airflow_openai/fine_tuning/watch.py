"""One wait on a fine-tuning job: its latest assessment, the events already logged, and when to look again.

The hook's blocking wait and the trigger drive the same watch, so both pace their polls,
wait out an outage and stream events the same way.
"""

from __future__ import annotations

import time

from airflow_openai.fine_tuning.assessment import JobAssessment
from airflow_openai.fine_tuning.events import EventCursor, advanced
from airflow_openai.models import FineTuningJobEvent
from airflow_openai.outage import BACKOFF_CAP, Outage
from airflow_openai.pacing import PollPacing


class JobWatch:
    def __init__(
        self,
        job_id: str,
        pacing: PollPacing,
        started_at: float,
        cursor: EventCursor | None = None,
        now: float | None = None,
    ) -> None:
        """`started_at` is when the job was created (it paces the polls); `now`, when this watch
        begins: an outage is counted from there, so a trigger that starts again on a job hours
        old still gets its whole outage budget. `cursor` says which events were logged already."""
        self.job_id = job_id
        self.pacing = pacing
        self.started_at = started_at
        self.cursor = cursor or EventCursor()
        self.latest: JobAssessment | None = None
        self.outage = Outage(
            pacing.outage_budget,
            time.time() if now is None else now,
            first_backoff=pacing.minimum,
            cap=min(BACKOFF_CAP, pacing.maximum),
        )

    @property
    def finished(self) -> bool:
        return self.latest is not None and self.latest.finished

    def poll_failed(self, error: BaseException) -> None:
        """Count a poll that failed because the API is down or overloaded."""
        self.outage.failed(error)

    def outage_exceeded(self, now: float) -> str | None:
        """Why the wait gives up on an outage that outlasted its budget; else None."""
        if not self.outage.exhausted(now):
            return None
        return f"stopped waiting for fine-tuning job {self.job_id}: {self.outage.describe(now)}"

    def record(self, assessment: JobAssessment, now: float) -> bool:
        """Keep the job's latest assessment; True when its status changed (worth a log line)."""
        self.outage.succeeded(now)
        changed = self.latest is None or self.latest.status != assessment.status
        self.latest = assessment
        return changed

    def logged(self, events: list[FineTuningJobEvent]) -> None:
        """`events` (oldest first) are in the log now."""
        self.cursor = advanced(self.cursor, events)

    def next_delay(self, now: float, deadline: float | None = None) -> float:
        delay = self.pacing.next_delay(now - self.started_at)
        if self.outage.ongoing:  # back off while the API is down
            delay = max(delay, self.outage.backoff())
            delay = min(delay, max(self.outage.last_success + self.outage.budget - now, 0.0))
        if deadline is not None:
            delay = min(delay, max(deadline - now, 0.0))
        return delay

    @property
    def status(self) -> str:
        return self.latest.status if self.latest is not None else "not seen yet"
