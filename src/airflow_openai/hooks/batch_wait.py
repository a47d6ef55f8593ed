"""Waiting on batches from a worker: the same decisions and pacing the trigger uses, with blocking sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from airflow_openai.batch.assessment import BatchAssessment, assess
from airflow_openai.batch.pacing import BatchWatch, PollPacing
from airflow_openai.outage import OutageExceeded, is_outage


class BatchTimeout(TimeoutError):
    """The batches did not finish before the deadline."""


class BatchWaitMixin:
    """`wait_for_batches` for the hook."""

    def wait_for_batches(
        self: Any,
        batch_ids: Sequence[str],
        *,
        started_at: float | None = None,
        deadline: float | None = None,
        pacing: PollPacing | None = None,
        on_progress: Callable[[BatchAssessment], None] | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> dict[str, BatchAssessment]:
        """Poll until every batch has finished; returns the final assessment of each.

        Returns as soon as one batch fails (the caller decides what to do with the
        others), raises `BatchTimeout` past `deadline` (a Unix time), and `OutageExceeded`
        when no poll has succeeded for `pacing.outage_budget` seconds (polls back off meanwhile).
        """
        watch = BatchWatch(list(batch_ids), pacing or PollPacing(), started_at or clock(), now=clock())
        while True:
            now = clock()
            for batch_id in watch.pending():
                try:
                    assessment = assess(self.get_batch(batch_id))
                except Exception as exc:
                    if not is_outage(exc):
                        raise
                    watch.poll_failed(exc)
                    self.log.warning("Polling batch %s failed (%s); will try again", batch_id, exc)
                    continue
                watch.record(assessment, now)
                if on_progress is not None:
                    on_progress(assessment)
            if watch.failure() is not None or watch.all_finished():
                return watch.latest
            gave_up = watch.outage_exceeded(clock())
            if gave_up is not None:
                raise OutageExceeded(gave_up)
            if deadline is not None and now >= deadline:
                raise BatchTimeout(f"batches {', '.join(batch_ids)} did not finish before the deadline")
            sleep(watch.next_delay(now, deadline))
