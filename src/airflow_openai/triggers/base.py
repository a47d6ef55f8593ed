"""What every wait of this provider in the triggerer shares.

Only the connection id and plain values are serialized, so no key ever reaches the trigger
table. The wait's shape is the same for batches, fine-tuning jobs and file batches: when it
began (it paces the polls), an optional deadline, the poll pacing, and whether a kill of the
task may cancel what it waits for. Triggers that start together (a triggerer restarting
with hundreds of them) would otherwise poll together for ever: the first poll comes at a
random moment within the first interval, and each later one up to a tenth early. A kill
cancels only when Airflow says the task is really being stopped.
"""

from __future__ import annotations

import random
import time
from typing import Any

from airflow.triggers.base import BaseTrigger

from airflow_openai.pacing import PollPacing
from airflow_openai.stopping import KillVerdict, kill_verdict
from airflow_openai.task_state import UNKNOWN, acurrent_state


class OpenAIWaitTrigger(BaseTrigger):
    def __init__(
        self,
        openai_conn_id: str = "openai_default",
        started_at: float | None = None,
        deadline: float | None = None,
        pacing: dict[str, float] | None = None,
        cancel_on_kill: bool = True,
    ) -> None:
        super().__init__()
        self.openai_conn_id = openai_conn_id
        self.started_at = started_at or time.time()
        self.deadline = deadline
        self.pacing = dict(pacing or PollPacing().to_dict())
        self.cancel_on_kill = cancel_on_kill

    def own_kwargs(self) -> dict[str, Any]:
        """What this trigger waits for, as plain values (the ids); the wait's shape is added to it."""
        raise NotImplementedError

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                **self.own_kwargs(),
                "openai_conn_id": self.openai_conn_id,
                "started_at": self.started_at,
                "deadline": self.deadline,
                "pacing": self.pacing,
                "cancel_on_kill": self.cancel_on_kill,
            },
        )

    def _hook(self) -> Any:
        from airflow_openai.hooks.openai import OpenAIHook

        return OpenAIHook(self.openai_conn_id)

    def _spread(self, most: float) -> float:
        """A random wait of up to `most` seconds, never past the deadline."""
        if self.deadline is not None:
            most = min(most, max(self.deadline - time.time(), 0.0))
        return random.uniform(0.0, most)

    async def _kill_verdict(self) -> KillVerdict:
        ti = self.task_instance
        if ti is None:
            return kill_verdict(*UNKNOWN)
        return kill_verdict(
            *await acurrent_state(ti.dag_id, ti.task_id, ti.run_id, getattr(ti, "map_index", -1))
        )

    async def _may_cancel(self, what: str) -> bool:
        """Whether `on_kill` cancels `what`; one log line says so when it does not, and why."""
        if not self.cancel_on_kill:
            self.log.info("Not cancelling %s: cancel_on_kill is off", what)
            return False
        verdict = await self._kill_verdict()
        if not verdict.cancel:
            self.log.info("Not cancelling %s: %s", what, verdict.why)
            return False
        self.log.info("Cancelling %s: %s", what, verdict.why)
        return True


class ProgressWaitTrigger(OpenAIWaitTrigger):
    """A wait over several objects polled side by side (batches, a store's file batches).

    Fires once every object has finished, one has failed, the deadline has passed, or the API
    has been unreachable for the outage budget. A subclass says how to read and assess one
    object, what it is called, and what the event carries; the loop is written here once.
    """

    noun = "batch"
    nouns = "batches"
    ids: list[str]

    def watch(self) -> Any:
        raise NotImplementedError

    async def fetch(self, hook: Any, key: str) -> Any:
        raise NotImplementedError

    async def cancel_one(self, hook: Any, key: str) -> Any:
        raise NotImplementedError

    def assess(self, answer: Any) -> Any:
        raise NotImplementedError

    def event(self, status: str, watch: Any, message: str) -> Any:
        raise NotImplementedError

    def finished_message(self, watch: Any) -> str:
        return f"all {self.nouns} finished"

    def name(self, key: str) -> str:
        return f"{self.noun} {key}"

    async def run(self) -> Any:
        import asyncio

        from airflow_openai.client.errors import OpenAIError
        from airflow_openai.outage import is_outage

        watch = self.watch()
        hook = self._hook()
        try:
            await asyncio.sleep(self._spread(watch.pacing.minimum))
            while True:
                now = time.time()
                pending = watch.pending()
                answers = await asyncio.gather(
                    *(self.fetch(hook, key) for key in pending), return_exceptions=True
                )
                for key, answer in zip(pending, answers, strict=True):
                    if isinstance(answer, Exception) and is_outage(answer):
                        self.log.warning("Polling %s failed (%s); will try again", self.name(key), answer)
                        watch.poll_failed(answer)
                        continue
                    if isinstance(answer, OpenAIError | ValueError):
                        yield self.event("error", watch, f"polling {self.name(key)} failed: {answer}")
                        return
                    if isinstance(answer, BaseException):
                        raise answer
                    assessment = self.assess(answer)
                    watch.record(assessment, now)
                    self.log.info(assessment.message)
                failure = watch.failure()
                if failure is not None:
                    yield self.event("failed", watch, failure.message)
                    return
                if watch.all_finished():
                    yield self.event("success", watch, self.finished_message(watch))
                    return
                if self.deadline is not None and now >= self.deadline:
                    yield self.event("timeout", watch, f"the {self.nouns} did not finish before the timeout")
                    return
                gave_up = watch.outage_exceeded(time.time())
                if gave_up is not None:
                    yield self.event("error", watch, gave_up)
                    return
                delay = watch.next_delay(now, self.deadline)
                await asyncio.sleep(delay - self._spread(delay / 10))
        finally:
            await hook.aclose()

    async def cancel_all(self) -> None:
        """Cancel every object side by side; one that cannot be cancelled (already finished, gone,
        an API error) is logged and does not stop the others. One last line says which were
        cancelled and which could not be."""
        import asyncio

        hook = self._hook()
        try:
            answers = await asyncio.gather(
                *(self.cancel_one(hook, key) for key in self.ids), return_exceptions=True
            )
        finally:
            await hook.aclose()
        cancelled, refused = [], []
        for key, answer in zip(self.ids, answers, strict=True):
            if isinstance(answer, asyncio.CancelledError):
                raise answer
            if isinstance(answer, BaseException):
                self.log.error("Could not cancel %s %s: %s", self.noun, key, answer)
                refused.append(key)
            else:
                self.log.info("Cancelled %s %s (now %s)", self.noun, key, answer.status)
                cancelled.append(key)
        summary = (
            f"On kill: cancelled {len(cancelled)} of {len(self.ids)} {self.nouns} "
            f"({', '.join(cancelled) or 'none'}); could not cancel {', '.join(refused) or 'none'}"
        )
        (self.log.error if refused else self.log.info)(summary)
