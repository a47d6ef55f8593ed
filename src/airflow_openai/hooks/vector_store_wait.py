"""Waiting on vector-store file batches from a worker: the same decisions and pacing the trigger
uses, with blocking sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from airflow_openai.outage import OutageExceeded, is_outage
from airflow_openai.pacing import PollPacing
from airflow_openai.vector_stores.assessment import FileBatchAssessment, assess
from airflow_openai.vector_stores.watch import FileBatchWatch


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
        ids = list(batch_ids)
        watch = FileBatchWatch(
            vector_store_id, ids, pacing or PollPacing(), started_at or clock(), now=clock()
        )
        while True:
            now = clock()
            for batch_id in watch.pending():
                try:
                    assessment = assess(self.get_vector_store_file_batch(vector_store_id, batch_id))
                except Exception as exc:
                    if not is_outage(exc):
                        raise
                    watch.poll_failed(exc)
                    self.log.warning("Polling file batch %s failed (%s); will try again", batch_id, exc)
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
                raise FileBatchTimeout(
                    f"file batches {', '.join(ids)} of vector store {vector_store_id} "
                    "did not finish before the deadline"
                )
            sleep(watch.next_delay(now, deadline))
