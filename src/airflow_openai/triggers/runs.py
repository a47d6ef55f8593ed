"""`OpenAIRunTrigger`: waits for an assistant run in the triggerer without blocking its event loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import TriggerEvent

from airflow_openai.pacing import PollPacing
from airflow_openai.runs.assessment import RunAssessment, assess
from airflow_openai.runs.watch import RUN_PACING, RunWatch
from airflow_openai.triggers.base import OpenAIWaitTrigger


class OpenAIRunTrigger(OpenAIWaitTrigger):
    """Fires once the run has ended, waits on tool outputs, or the deadline has passed.

    A run that `requires_action` fires ``action`` with the tool calls it waits on: the task
    answers them when it resumes in a worker (the triggerer never runs a user's tools) and
    defers again. Only the connection id and plain values are serialized: no key ever reaches
    the trigger table. Polls start about a second apart and grow with the run's age (see
    `RUN_PACING`); while the API is down they back off, and the wait gives up only after the
    outage budget. A user's kill of the task cancels the run only when the task is really being
    stopped (`on_kill`).

    Triggers that start together (a triggerer restarting with hundreds of them) would otherwise
    poll together for ever: the first poll comes at a random moment within the shortest poll
    interval, and each later one up to a tenth early.

    The event payload: ``status`` (``success``: completed; ``action``: waits on tool outputs;
    ``failed``: failed, incomplete, expired or cancelled; ``timeout`` or ``error``),
    ``thread_id``, ``run_id``, ``run_status`` (the run's last status seen), ``tool_calls`` (for
    ``action``: each ``{"id", "name", "arguments"}``; empty otherwise) and a human ``message``.
    """

    def __init__(
        self,
        thread_id: str,
        run_id: str,
        openai_conn_id: str = "openai_default",
        started_at: float | None = None,
        deadline: float | None = None,
        pacing: dict[str, float] | None = None,
        cancel_on_kill: bool = True,
    ) -> None:
        super().__init__(openai_conn_id, started_at, deadline, pacing or RUN_PACING.to_dict(), cancel_on_kill)
        self.thread_id = thread_id
        self.run_id = run_id

    def own_kwargs(self) -> dict[str, Any]:
        return {"thread_id": self.thread_id, "run_id": self.run_id}

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_openai.client.errors import OpenAIError
        from airflow_openai.outage import is_outage

        watch = RunWatch(self.thread_id, self.run_id, PollPacing(**self.pacing), self.started_at)
        hook = self._hook()
        try:
            await asyncio.sleep(self._spread(min(watch.pacing.minimum, 1.0)))
            while True:
                now = time.time()
                try:
                    assessment = assess(await hook.aget_run(self.thread_id, self.run_id))
                except Exception as exc:
                    if is_outage(exc):
                        self.log.warning("Polling run %s failed (%s); will try again", self.run_id, exc)
                        watch.poll_failed(exc)
                    elif isinstance(exc, OpenAIError | ValueError):
                        message = f"polling run {self.run_id} on thread {self.thread_id} failed: {exc}"
                        yield self._event("error", watch, message)
                        return
                    else:
                        raise
                else:
                    if watch.record(assessment, now):
                        self.log.info(assessment.message)
                    if assessment.outcome == "failed":
                        yield self._event("failed", watch, assessment.message)
                        return
                    if assessment.outcome == "action":
                        yield self._event("action", watch, assessment.message, assessment)
                        return
                    if assessment.outcome == "succeeded":
                        yield self._event("success", watch, assessment.message)
                        return
                if self.deadline is not None and now >= self.deadline:
                    yield self._event("timeout", watch, "the run did not finish before the timeout")
                    return
                gave_up = watch.outage_exceeded(time.time())
                if gave_up is not None:
                    yield self._event("error", watch, gave_up)
                    return
                delay = watch.next_delay(now, self.deadline)
                await asyncio.sleep(delay - self._spread(delay / 10))
        finally:
            await hook.aclose()

    def _event(
        self, status: str, watch: RunWatch, message: str, assessment: RunAssessment | None = None
    ) -> TriggerEvent:
        return TriggerEvent(
            {
                "status": status,
                "thread_id": self.thread_id,
                "run_id": self.run_id,
                "run_status": watch.status,
                "tool_calls": [dict(call) for call in assessment.tool_calls] if assessment else [],
                "message": message,
            }
        )

    async def on_kill(self) -> None:
        """A user action ended the task's attempt: cancel the run only if the task is really being
        stopped (marked failed), not when it was cleared (its next try takes the run over) or
        marked success. One line says which, and why."""
        if not await self._may_cancel(f"run {self.run_id} on thread {self.thread_id}"):
            return
        hook = self._hook()
        try:
            run = await hook.acancel_run(self.thread_id, self.run_id)
            self.log.info("Cancelled run %s (now %s)", self.run_id, run.status)
        except Exception as exc:  # best effort: a finished run refuses it
            self.log.error("Could not cancel run %s: %s", self.run_id, exc)
        finally:
            await hook.aclose()
