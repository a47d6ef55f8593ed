"""One wait on an assistant run: its latest assessment, and when to look again.

The hook's blocking wait and the trigger drive the same watch, so both pace their polls and
wait out an outage the same way. A run takes seconds to minutes (and one waiting on tool
outputs expires after 10), so polls start a second apart and grow with the run's age, to at
most `RUN_PACING.maximum`.
"""

from __future__ import annotations

import time

from airflow_openai.outage import BACKOFF_CAP, Outage
from airflow_openai.pacing import PollPacing
from airflow_openai.runs.assessment import RunAssessment

RUN_PACING = PollPacing(minimum=1.0, maximum=30.0)


class RunWatch:
    def __init__(
        self, thread_id: str, run_id: str, pacing: PollPacing, started_at: float, now: float | None = None
    ) -> None:
        """`started_at` is when the run was created (it paces the polls); `now`, when this watch
        begins: an outage is counted from there, so a trigger that starts again on an older run
        still gets its whole outage budget."""
        self.thread_id = thread_id
        self.run_id = run_id
        self.pacing = pacing
        self.started_at = started_at
        self.latest: RunAssessment | None = None
        self.outage = Outage(
            pacing.outage_budget,
            time.time() if now is None else now,
            first_backoff=pacing.minimum,
            cap=min(BACKOFF_CAP, pacing.maximum),
        )

    def poll_failed(self, error: BaseException) -> None:
        """Count a poll that failed because the API is down or overloaded."""
        self.outage.failed(error)

    def outage_exceeded(self, now: float) -> str | None:
        """Why the wait gives up on an outage that outlasted its budget; else None."""
        if not self.outage.exhausted(now):
            return None
        return (
            f"stopped waiting for run {self.run_id} on thread {self.thread_id}: {self.outage.describe(now)}"
        )

    def record(self, assessment: RunAssessment, now: float) -> bool:
        """Keep the run's latest assessment; True when its status changed (worth a log line)."""
        self.outage.succeeded(now)
        changed = self.latest is None or self.latest.status != assessment.status
        self.latest = assessment
        return changed

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
