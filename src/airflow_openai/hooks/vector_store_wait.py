"""Waiting on vector-store file batches from a worker: the same decisions and pacing the trigger
uses, with blocking sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from airflow_openai.pacing import PollPacing
from airflow_openai.vector_stores.assessment import FileBatchAssessment, assess
from airflow_openai.vector_stores.watch import FileBatchWatch
from airflow_openai.watching import wait_until_finished


class FileBatchTimeout(TimeoutError):
    """The file batches did not finish before the deadline."""


class VectorStoreWaitMixin:
    """`wait_for_vector_store_file_batches` for the hook."""

    def wait_for_vector_store_file_batches(
        self: Any,
        vector_store_id: str,
        batch_ids: Sequence[str],
        *,
        started_at: float | None = None,
        deadline: float | None = None,
        pacing: PollPacing | None = None,
        on_progress: Callable[[FileBatchAssessment], None] | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> dict[str, FileBatchAssessment]:
        """Poll until every file batch of the store has finished; returns the final assessment of each.

        A batch that completed with some files failed has finished (its counts say how many
        failed: naming them is the caller's). Returns as soon as one batch failed or was
        cancelled (the caller decides what to do with the others), raises `FileBatchTimeout`
        past `deadline` (a Unix time), and `OutageExceeded` when no poll has succeeded for
        `pacing.outage_budget` seconds (polls back off meanwhile). `on_progress` hears of
        every poll's assessment of every batch still running.
        """
        watch = FileBatchWatch(
            vector_store_id, list(batch_ids), pacing or PollPacing(), started_at or clock(), now=clock()
        )
        return wait_until_finished(
            watch,
            lambda batch_id: assess(self.get_vector_store_file_batch(vector_store_id, batch_id)),
            deadline=deadline,
            on_progress=on_progress,
            sleep=sleep,
            clock=clock,
            log=self.log,
            timeout=FileBatchTimeout,
        )
