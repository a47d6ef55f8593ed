"""`OpenAIBatchTrigger`: waits for batches in the triggerer without blocking its event loop."""

from __future__ import annotations

from typing import Any

from airflow.triggers.base import TriggerEvent

from airflow_openai.batch.assessment import assess
from airflow_openai.batch.pacing import BatchWatch, PollPacing
from airflow_openai.triggers.base import ProgressWaitTrigger


class OpenAIBatchTrigger(ProgressWaitTrigger):
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

    @property
    def ids(self) -> list[str]:  # type: ignore[override]
        return self.batch_ids

    def watch(self) -> BatchWatch:
        return BatchWatch(self.batch_ids, PollPacing(**self.pacing), self.started_at)

    async def fetch(self, hook: Any, key: str) -> Any:
        return await hook.aget_batch(key)

    async def cancel_one(self, hook: Any, key: str) -> Any:
        return await hook.acancel_batch(key)

    def assess(self, answer: Any) -> Any:
        return assess(answer)

    def event(self, status: str, watch: BatchWatch, message: str) -> TriggerEvent:
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
        if await self._may_cancel(f"batches {', '.join(self.batch_ids)}"):
            await self.cancel_all()
