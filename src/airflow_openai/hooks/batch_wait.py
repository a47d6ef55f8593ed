"""Waiting on batches from a worker: the same decisions and pacing the trigger uses, with blocking sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from airflow_openai.batch.assessment import BatchAssessment, assess
from airflow_openai.batch.pacing import BatchWatch, PollPacing
from airflow_openai.watching import wait_until_finished


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
        return wait_until_finished(
            watch,
            lambda batch_id: assess(self.get_batch(batch_id)),
            deadline=deadline,
            on_progress=on_progress,
            sleep=sleep,
            clock=clock,
            log=self.log,
            timeout=BatchTimeout,
        )
