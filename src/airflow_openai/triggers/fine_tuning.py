"""`OpenAIFineTuningJobTrigger`: waits for a fine-tuning job in the triggerer, streaming its events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import TriggerEvent

from airflow_openai.fine_tuning.assessment import assess
from airflow_openai.fine_tuning.events import PAGE_SIZE, EventCursor, line, reached
from airflow_openai.fine_tuning.watch import JobWatch
from airflow_openai.models import FineTuningJobEvent
from airflow_openai.pacing import PollPacing
from airflow_openai.triggers.base import OpenAIWaitTrigger


class OpenAIFineTuningJobTrigger(OpenAIWaitTrigger):
    """Fires once the job has succeeded, failed or been cancelled, or the deadline has passed.

    Each poll reads the job and then its events since the last one logged; the new events go
    to the task log (the triggerer's log of this task) oldest first, and the cursor that
    follows them comes back in the trigger's event, so the task logs none of them again when
    it resumes. Only the connection id and plain values are serialized: no key ever reaches
    the trigger table. Polls are paced by the job's age; while the API is down they back off,
    and the wait gives up only after the outage budget. A user's kill of the task cancels the
    job only when the task is really being stopped (`on_kill`).

    The event payload: ``status`` (``success``, ``failed``, ``timeout`` or ``error``),
    ``job_id``, ``job_status``, ``fine_tuned_model``, ``cursor`` (the events logged so far)
    and a human ``message``.
    """

    def __init__(
        self,
        job_id: str,
        openai_conn_id: str = "openai_default",
        started_at: float | None = None,
        deadline: float | None = None,
        pacing: dict[str, float] | None = None,
        cursor: dict[str, Any] | None = None,
        cancel_on_kill: bool = True,
    ) -> None:
        super().__init__(openai_conn_id, started_at, deadline, pacing, cancel_on_kill)
        self.job_id = job_id
        self.cursor = EventCursor.from_dict(cursor).to_dict()

    def own_kwargs(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "cursor": self.cursor}

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_openai.client.errors import OpenAIError
        from airflow_openai.outage import is_outage

        watch = JobWatch(
            self.job_id, PollPacing(**self.pacing), self.started_at, EventCursor.from_dict(self.cursor)
        )
        hook = self._hook()
        try:
            await asyncio.sleep(self._spread(min(watch.pacing.minimum, 1.0)))
            while True:
                now = time.time()
                try:
                    assessment = assess(await hook.aget_fine_tuning_job(self.job_id))
                    events = await self._unseen(hook, watch.cursor)
                except Exception as exc:
                    if is_outage(exc):
                        self.log.warning(
                            "Polling fine-tuning job %s failed (%s); will try again", self.job_id, exc
                        )
                        watch.poll_failed(exc)
                    elif isinstance(exc, OpenAIError | ValueError):
                        yield self._event(
                            "error", watch, f"polling fine-tuning job {self.job_id} failed: {exc}"
                        )
                        return
                    else:
                        raise
                else:
                    if watch.record(assessment, now):
                        self.log.info(assessment.message)
                    for event in events:
                        self.log.info(line(self.job_id, event))
                    watch.logged(events)
                    if assessment.outcome == "failed":
                        yield self._event("failed", watch, assessment.message)
                        return
                    if assessment.outcome == "succeeded":
                        yield self._event("success", watch, assessment.message)
                        return
                if self.deadline is not None and now >= self.deadline:
                    yield self._event("timeout", watch, "the job did not finish before the timeout")
                    return
                gave_up = watch.outage_exceeded(time.time())
                if gave_up is not None:
                    yield self._event("error", watch, gave_up)
                    return
                delay = watch.next_delay(now, self.deadline)
                await asyncio.sleep(delay - self._spread(delay / 10))
        finally:
            await hook.aclose()

    async def _unseen(self, hook: Any, cursor: EventCursor) -> list[FineTuningJobEvent]:
        """The events after `cursor`, oldest first, reading only as many pages as needed."""
        new: list[FineTuningJobEvent] = []
        async for event in hook.alist_fine_tuning_events(self.job_id, limit=PAGE_SIZE):
            if reached(event, cursor):
                break
            new.append(event)
        new.reverse()
        return new

    def _event(self, status: str, watch: JobWatch, message: str) -> TriggerEvent:
        return TriggerEvent(
            {
                "status": status,
                "job_id": self.job_id,
                "job_status": watch.status,
                "fine_tuned_model": watch.latest.fine_tuned_model if watch.latest else None,
                "cursor": watch.cursor.to_dict(),
                "message": message,
            }
        )

    async def on_kill(self) -> None:
        """A user action ended the task's attempt: cancel the job only if the task is really being
        stopped (marked failed), not when it was cleared (its next try reattaches to the job) or
        marked success. One line says which, and why."""
        if not await self._may_cancel(f"fine-tuning job {self.job_id}"):
            return
        hook = self._hook()
        try:
            job = await hook.acancel_fine_tuning_job(self.job_id)
            self.log.info("Cancelled fine-tuning job %s (now %s)", self.job_id, job.status)
        except Exception as exc:  # best effort: a finished job refuses it
            self.log.error("Could not cancel fine-tuning job %s: %s", self.job_id, exc)
        finally:
            await hook.aclose()
