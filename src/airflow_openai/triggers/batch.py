"""`OpenAIBatchTrigger`: waits for batches in the triggerer without blocking its event loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import TriggerEvent

from airflow_openai.batch.assessment import assess
from airflow_openai.batch.pacing import BatchWatch, PollPacing
from airflow_openai.triggers.base import OpenAIWaitTrigger


class OpenAIBatchTrigger(OpenAIWaitTrigger):
    """Fires once every batch has finished, one has failed, or the deadline has passed.

    Only the connection id and plain values are serialized: no key ever reaches the
    trigger table. Polls are paced by the batches' age and progress (see `PollPacing`);
    while the API is down, polls back off and the wait gives up only after the outage
    budget; and a user's kill of the task cancels the batches only when the task is really
    being stopped (`on_kill`).

    Triggers that start together (a triggerer restarting with hundreds of them) would
    otherwise poll together for ever, each burst keeping the shared event loop busy for as
    long as hundreds of requests take to build: the first poll comes at a random moment
    within the shortest poll interval, and each later one up to a tenth early.

    The event payload: ``status`` (``success``, ``failed``, ``timeout`` or ``error``),
    ``batch_ids``, ``statuses`` (batch id → status) and a human ``message``.
    """

    def __init__(
        self,
        batch_ids: list[str],
        openai_conn_id: str = "openai_default",
        started_at: float | None = None,
        deadline: float | None = None,
        pacing: dict[str, float] | None = None,
        cancel_on_kill: bool = True,
    ) -> None:
        super().__init__(openai_conn_id, started_at, deadline, pacing, cancel_on_kill)
        self.batch_ids = list(batch_ids)

    def own_kwargs(self) -> dict[str, Any]:
        return {"batch_ids": self.batch_ids}

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_openai.client.errors import OpenAIError
        from airflow_openai.outage import is_outage

        watch = BatchWatch(self.batch_ids, PollPacing(**self.pacing), self.started_at)
        hook = self._hook()
        try:
            await asyncio.sleep(self._spread(watch.pacing.minimum))
            while True:
                now = time.time()
                pending = watch.pending()
                answers = await asyncio.gather(*(hook.aget_batch(b) for b in pending), return_exceptions=True)
                for batch_id, answer in zip(pending, answers, strict=True):
                    if isinstance(answer, Exception) and is_outage(answer):
                        self.log.warning("Polling batch %s failed (%s); will try again", batch_id, answer)
                        watch.poll_failed(answer)
                        continue
                    if isinstance(answer, OpenAIError | ValueError):
                        yield self._event("error", watch, f"polling batch {batch_id} failed: {answer}")
                        return
                    if isinstance(answer, BaseException):
                        raise answer
                    assessment = assess(answer)
                    watch.record(assessment, now)
                    self.log.info(assessment.message)
                failure = watch.failure()
                if failure is not None:
                    yield self._event("failed", watch, failure.message)
                    return
                if watch.all_finished():
                    yield self._event("success", watch, "all batches finished")
                    return
                if self.deadline is not None and now >= self.deadline:
                    yield self._event("timeout", watch, "the batches did not finish before the timeout")
                    return
                gave_up = watch.outage_exceeded(time.time())
                if gave_up is not None:
                    yield self._event("error", watch, gave_up)
                    return
                delay = watch.next_delay(now, self.deadline)
                await asyncio.sleep(delay - self._spread(delay / 10))
        finally:
            await hook.aclose()

    def _event(self, status: str, watch: BatchWatch, message: str) -> TriggerEvent:
        payload = {
            "status": status,
            "batch_ids": self.batch_ids,
            "statuses": watch.statuses(),
            "message": message,
        }
        return TriggerEvent(payload)

    async def on_kill(self) -> None:
        """A user action ended the task's attempt: cancel the batches only if the task is really
        being stopped (marked failed), not when it was cleared (its next try reattaches and takes
        the batches over) or marked success. One line says which, and why.

        Every batch is asked, side by side; one that cannot be cancelled (already gone, an API
        error) is logged and does not stop the others. One last line says which were cancelled
        and which could not be.
        """
        if not await self._may_cancel(f"batches {', '.join(self.batch_ids)}"):
            return
        hook = self._hook()
        try:
            answers = await asyncio.gather(
                *(hook.acancel_batch(batch_id) for batch_id in self.batch_ids), return_exceptions=True
            )
        finally:
            await hook.aclose()
        cancelled, refused = [], []
        for batch_id, answer in zip(self.batch_ids, answers, strict=True):
            if isinstance(answer, asyncio.CancelledError):
                raise answer
            if isinstance(answer, BaseException):
                self.log.error("Could not cancel batch %s: %s", batch_id, answer)
                refused.append(batch_id)
            else:
                self.log.info("Cancelled batch %s (now %s)", batch_id, answer.status)
                cancelled.append(batch_id)
        summary = (
            f"On kill: cancelled {len(cancelled)} of {len(self.batch_ids)} batches "
            f"({', '.join(cancelled) or 'none'}); could not cancel {', '.join(refused) or 'none'}"
        )
        (self.log.error if refused else self.log.info)(summary)
