"""`OpenAIRunTrigger`: `OpenAIJobTrigger` over an assistant run, under the name (and the serialized
kwargs) earlier releases used, so triggers deferred before an upgrade run on after it."""

from __future__ import annotations

from typing import Any

from airflow_openai.triggers.job import OpenAIJobTrigger


class OpenAIRunTrigger(OpenAIJobTrigger):
    def __init__(
        self, thread_id: str, run_id: str, openai_conn_id: str = "openai_default", **wait: Any
    ) -> None:
        super().__init__("run", {"ids": [run_id], "thread_id": thread_id}, openai_conn_id, **wait)
