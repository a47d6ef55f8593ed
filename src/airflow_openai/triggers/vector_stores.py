"""`OpenAIVectorStoreFileBatchTrigger`: waits for a vector store's file batches in the triggerer
without blocking its event loop."""

from __future__ import annotations

from typing import Any

from airflow.triggers.base import TriggerEvent

from airflow_openai.pacing import PollPacing
from airflow_openai.triggers.base import ProgressWaitTrigger
from airflow_openai.vector_stores.assessment import assess
from airflow_openai.vector_stores.watch import FileBatchWatch


class OpenAIVectorStoreFileBatchTrigger(ProgressWaitTrigger):
    """Fires once every file batch has finished, one has failed or been cancelled, or the deadline
    has passed.

    A batch that completed with some of its files failed has finished: the event counts them
    per batch, for the task to name them (or to fail on too many). Only the connection id and
    plain values are serialized: no key ever reaches the trigger table. Polls are paced by the
    batches' age and the rate their files are processed at (see `PollPacing`); while the API
    is down, polls back off and the wait gives up only after the outage budget; and a user's
    kill of the task cancels the batches only when the task is really being stopped (`on_kill`).

    Triggers that start together (a triggerer restarting with hundreds of them) would otherwise
    poll together for ever: the first poll comes at a random moment within the shortest poll
    interval, and each later one up to a tenth early.

    The event payload: ``status`` (``success``: every batch completed; ``failed``: one failed or
    was cancelled; ``timeout`` or ``error``), ``vector_store_id``, ``batch_ids``, ``statuses``
    (batch id → status), ``counts`` (batch id → files ``completed``, ``failed``, ``cancelled``
    and ``total``; batches not seen yet are left out of both) and a human ``message``.
    """

    def __init__(
        self,
        vector_store_id: str,
        batch_ids: list[str],
        openai_conn_id: str = "openai_default",
        started_at: float | None = None,
        deadline: float | None = None,
        pacing: dict[str, float] | None = None,
        cancel_on_kill: bool = True,
    ) -> None:
        super().__init__(openai_conn_id, started_at, deadline, pacing, cancel_on_kill)
        self.vector_store_id = vector_store_id
        self.batch_ids = list(batch_ids)

    def own_kwargs(self) -> dict[str, Any]:
        return {"vector_store_id": self.vector_store_id, "batch_ids": self.batch_ids}

    noun = "file batch"
    nouns = "file batches"

    @property
    def ids(self) -> list[str]:  # type: ignore[override]
        return self.batch_ids

    def watch(self) -> FileBatchWatch:
        return FileBatchWatch(
            self.vector_store_id, self.batch_ids, PollPacing(**self.pacing), self.started_at
        )

    async def fetch(self, hook: Any, key: str) -> Any:
        return await hook.aget_vector_store_file_batch(self.vector_store_id, key)

    async def cancel_one(self, hook: Any, key: str) -> Any:
        return await hook.acancel_vector_store_file_batch(self.vector_store_id, key)

    def assess(self, answer: Any) -> Any:
        return assess(answer)

    def name(self, key: str) -> str:
        return f"file batch {key} of vector store {self.vector_store_id}"

    def finished_message(self, watch: Any) -> str:
        return str(watch.summary())

    def event(self, status: str, watch: FileBatchWatch, message: str) -> TriggerEvent:
        payload = {
            "status": status,
            "vector_store_id": self.vector_store_id,
            "batch_ids": self.batch_ids,
            "statuses": watch.statuses(),
            "counts": watch.counts(),
            "message": message,
        }
        return TriggerEvent(payload)

    async def on_kill(self) -> None:
        """A user action ended the task's attempt: cancel the batches only if the task is really
        being stopped (marked failed), not when it was cleared (its next try takes the batches
        over) or marked success. One line says which, and why.

        Every batch is asked, side by side; one that cannot be cancelled (already finished,
        gone, an API error) is logged and does not stop the others. One last line says which
        were cancelled and which could not be. Files already indexed stay in the store.
        """
        ids = ", ".join(self.batch_ids)
        if await self._may_cancel(f"file batches {ids} of vector store {self.vector_store_id}"):
            await self.cancel_all()
