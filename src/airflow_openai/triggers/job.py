"""`OpenAIJobTrigger`: the one trigger of this provider, waiting on any kind of remote job in the
triggerer without blocking its event loop.

Only the connection id and plain values are serialized (the job kind's name, its `ref`, the
wait's shape), so no key ever reaches the trigger table. It runs the engine's `Watch`, the same
the worker's wait runs: polls paced by the jobs' age and progress, backing off while the API is
down, giving up only after the outage budget, and ending at the deadline. Polls make a single
HTTP attempt each: the outage budget is their retry, so a failed poll is one log line.

Triggers that start together (a triggerer restarting with hundreds of them) would otherwise
poll together for ever: the first poll comes at a random moment within the first interval
(at most 5 seconds), and each later one up to a tenth early. A user's kill of the task cancels the jobs only when
the task is really being stopped (`on_kill`).

The event payload: ``status`` (``success``, ``failed``, ``action``, ``timeout`` or ``error``),
``kind``, ``ref``, ``statuses`` (job id → its last status seen), a human ``message``, and the
kind's own fields (say, ``batch_ids``; a run's ``tool_calls``).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_openai.engine.kind import JobKind
from airflow_openai.engine.registry import kind as kind_named
from airflow_openai.stopping import kill_verdict
from airflow_openai.task_state import UNKNOWN, acurrent_state


class OpenAIJobTrigger(BaseTrigger):
    def __init__(
        self,
        kind: str,
        ref: dict[str, Any],
        openai_conn_id: str = "openai_default",
        started_at: float | None = None,
        deadline: float | None = None,
        pacing: dict[str, float] | None = None,
        cancel_on_kill: bool = True,
    ) -> None:
        super().__init__()
        self.kind = kind
        self.ref = dict(ref)
        self.openai_conn_id = openai_conn_id
        self.started_at = started_at or time.time()
        self.deadline = deadline
        self.pacing = dict(pacing or self.plugin.pacing.to_dict())
        self.cancel_on_kill = cancel_on_kill

    @property
    def plugin(self) -> JobKind:
        return kind_named(self.kind)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "airflow_openai.triggers.job.OpenAIJobTrigger",
            {
                "kind": self.kind,
                "ref": self.ref,
                "openai_conn_id": self.openai_conn_id,
                "started_at": self.started_at,
                "deadline": self.deadline,
                "pacing": self.pacing,
                "cancel_on_kill": self.cancel_on_kill,
            },
        )

    def _hook(self, *, retries: bool = True) -> Any:
        from airflow_openai.hooks.openai import OpenAIHook

        return OpenAIHook(self.openai_conn_id, max_retries=None if retries else 0)

    def _spread(self, most: float) -> float:
        """A random wait of up to `most` seconds, never past the deadline."""
        if self.deadline is not None:
            most = min(most, max(self.deadline - time.time(), 0.0))
        return random.uniform(0.0, most)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_openai.client.errors import OpenAIError
        from airflow_openai.engine.blocking import event, new_watch
        from airflow_openai.engine.watch import Fire
        from airflow_openai.metrics import emit_polls, poll_tags
        from airflow_openai.outage import is_outage
        from airflow_openai.pacing import PollPacing

        plugin, ref = self.plugin, self.ref
        watch = new_watch(
            plugin, ref, PollPacing(**self.pacing), started_at=self.started_at, now=time.time(),
            deadline=self.deadline,
        )  # fmt: skip
        hook = self._hook(retries=False)
        tags = poll_tags(plugin.name, hook, getattr(self, "task_instance", None))
        try:
            await asyncio.sleep(self._spread(min(watch.pacing.minimum, 5.0)))
            while True:
                now = time.time()
                pending = watch.pending()
                answers = await asyncio.gather(
                    *(plugin.aread(hook, ref, key) for key in pending), return_exceptions=True
                )
                for key, answer in zip(pending, answers, strict=True):
                    if isinstance(answer, Exception) and is_outage(answer):
                        self.log.warning(watch.poll_failed(plugin.name_of(ref, key), answer, now))
                        continue
                    if isinstance(answer, OpenAIError | ValueError):
                        failed = Fire("error", f"polling {plugin.name_of(ref, key)} failed: {answer}")
                        yield TriggerEvent(event(plugin, ref, watch, failed))
                        return
                    if isinstance(answer, BaseException):
                        raise answer
                    assessment = plugin.assess(answer)
                    if watch.seen(key, assessment, now) or getattr(assessment, "processed", None) is not None:
                        self.log.info(assessment.message)
                emit_polls(tags, watch.take_counts())
                decided = watch.verdict(time.time())
                if isinstance(decided, Fire):
                    yield TriggerEvent(event(plugin, ref, watch, decided))
                    return
                await asyncio.sleep(decided.seconds - self._spread(decided.seconds / 10))
        finally:
            await hook.aclose()

    async def on_kill(self) -> None:
        """A user action ended the task's attempt: cancel the jobs only if the task is really being
        stopped (marked failed), not when it was cleared (its next try reattaches and takes them
        over) or marked success. One line says which, and why.

        Every job is asked side by side; one that cannot be cancelled (already finished, gone, an
        API error) is logged and does not stop the others. A last line says which were cancelled
        and which could not be."""
        what = self.plugin.describe(self.ref)
        if not self.cancel_on_kill:
            self.log.info("Not cancelling %s: cancel_on_kill is off", what)
            return
        ti = self.task_instance
        state = UNKNOWN
        if ti is not None:
            state = await acurrent_state(ti.dag_id, ti.task_id, ti.run_id, getattr(ti, "map_index", -1))
        verdict = kill_verdict(*state)
        if not verdict.cancel:
            self.log.info("Not cancelling %s: %s", what, verdict.why)
            return
        self.log.info("Cancelling %s: %s", what, verdict.why)
        await self.cancel_all()

    async def cancel_all(self) -> None:
        plugin, ref = self.plugin, self.ref
        keys = plugin.keys(ref)
        hook = self._hook()
        try:
            answers = await asyncio.gather(
                *(plugin.acancel(hook, ref, key) for key in keys), return_exceptions=True
            )
        finally:
            await hook.aclose()
        cancelled, refused = [], []
        for key, answer in zip(keys, answers, strict=True):
            if isinstance(answer, asyncio.CancelledError):
                raise answer
            if isinstance(answer, BaseException):
                self.log.error("Could not cancel %s: %s", plugin.name_of(ref, key), answer)
                refused.append(key)
            else:
                self.log.info("Cancelled %s (now %s)", plugin.name_of(ref, key), answer.status)
                cancelled.append(key)
        summary = (
            f"On kill: cancelled {len(cancelled)} of {len(keys)} {plugin.nouns} "
            f"({', '.join(cancelled) or 'none'}); could not cancel {', '.join(refused) or 'none'}"
        )
        (self.log.error if refused else self.log.info)(summary)
