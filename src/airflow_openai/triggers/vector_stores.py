"""`OpenAIVectorStoreFileBatchTrigger`: `OpenAIJobTrigger` over a store's file batches, under the name
(and the serialized kwargs) earlier releases used, so triggers deferred before an upgrade run on
after it."""

from __future__ import annotations

from typing import Any

from airflow_openai.triggers.job import OpenAIJobTrigger


class OpenAIVectorStoreFileBatchTrigger(OpenAIJobTrigger):
    def __init__(
        self, vector_store_id: str, batch_ids: list[str], openai_conn_id: str = "openai_default", **wait: Any
    ) -> None:
        ref = {"ids": list(batch_ids), "vector_store_id": vector_store_id}
        super().__init__("file_batch", ref, openai_conn_id, **wait)
