"""`OpenAIBatchTrigger`: `OpenAIJobTrigger` over batches, under the name (and the serialized kwargs)
earlier releases used, so triggers deferred before an upgrade run on after it."""

from __future__ import annotations

from typing import Any

from airflow_openai.triggers.job import OpenAIJobTrigger


class OpenAIBatchTrigger(OpenAIJobTrigger):
    def __init__(self, batch_ids: list[str], openai_conn_id: str = "openai_default", **wait: Any) -> None:
        super().__init__("batch", {"ids": list(batch_ids)}, openai_conn_id, **wait)
