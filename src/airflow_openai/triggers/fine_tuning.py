"""`OpenAIFineTuningJobTrigger`: `OpenAIJobTrigger` over a fine-tuning job, under the name (and the
serialized kwargs) earlier releases used, so triggers deferred before an upgrade run on after it.

The job's events are not logged by the trigger: only the worker can record which were logged
(the task state store), so the worker logs them when the task resumes, each once even after a
clear, a retry or a triggerer restart. `cursor`, which earlier releases carried, is accepted
and left alone."""

from __future__ import annotations

from typing import Any

from airflow_openai.triggers.job import OpenAIJobTrigger


class OpenAIFineTuningJobTrigger(OpenAIJobTrigger):
    def __init__(
        self, job_id: str, openai_conn_id: str = "openai_default", cursor: Any = None, **wait: Any
    ) -> None:
        super().__init__("fine_tuning", {"ids": [job_id]}, openai_conn_id, **wait)
