"""Waiting on a fine-tuning job from a worker, with its events streamed as they appear: the same
decisions, pacing and event cursor the trigger uses, with blocking sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from airflow_openai.fine_tuning.assessment import JobAssessment, assess
from airflow_openai.fine_tuning.events import PAGE_SIZE, EventCursor, unseen
from airflow_openai.fine_tuning.watch import JobWatch
from airflow_openai.models import FineTuningJobEvent
from airflow_openai.outage import OutageExceeded, is_outage
from airflow_openai.pacing import PollPacing


class FineTuningTimeout(TimeoutError):
    """The job did not finish before the deadline."""


class FineTuningWaitMixin:
    """`wait_for_fine_tuning_job` and `new_fine_tuning_events` for the hook."""

    def new_fine_tuning_events(self: Any, job_id: str, cursor: EventCursor) -> list[FineTuningJobEvent]:
        """The job's events after `cursor`, oldest first (reading only the newest pages needed)."""
        return unseen(self.list_fine_tuning_events(job_id, limit=PAGE_SIZE), cursor)

    def wait_for_fine_tuning_job(
        self: Any,
        job_id: str,
        *,
        cursor: EventCursor | None = None,
        started_at: float | None = None,
        deadline: float | None = None,
        pacing: PollPacing | None = None,
        on_events: Callable[[list[FineTuningJobEvent], EventCursor], None] | None = None,
        on_progress: Callable[[JobAssessment], None] | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> tuple[JobAssessment, EventCursor]:
        """Poll until the job has finished; returns its final assessment and the event cursor.

        Every poll reads the job, then its events since `cursor`, and hands the new ones
        (oldest first) to `on_events` with the cursor that follows them; the events read
        after the job's last status include its last events. `on_progress` hears of each
        change of status. Raises `FineTuningTimeout` past `deadline` (a Unix time), and
        `OutageExceeded` when no poll has succeeded for `pacing.outage_budget` seconds.
        """
        watch = JobWatch(job_id, pacing or PollPacing(), started_at or clock(), cursor, now=clock())
        while True:
            now = clock()
            try:
                assessment = assess(self.get_fine_tuning_job(job_id))
                events = self.new_fine_tuning_events(job_id, watch.cursor)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                watch.poll_failed(exc)
                self.log.warning("Polling fine-tuning job %s failed (%s); will try again", job_id, exc)
            else:
                changed = watch.record(assessment, now)
                if events:
                    watch.logged(events)
                    if on_events is not None:
                        on_events(events, watch.cursor)
                if changed and on_progress is not None:
                    on_progress(assessment)
                if assessment.finished:
                    return assessment, watch.cursor
            gave_up = watch.outage_exceeded(clock())
            if gave_up is not None:
                raise OutageExceeded(gave_up)
            if deadline is not None and now >= deadline:
                raise FineTuningTimeout(f"fine-tuning job {job_id} did not finish before the deadline")
            sleep(watch.next_delay(now, deadline))
