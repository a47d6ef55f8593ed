"""Extra links from a task to the OpenAI dashboard."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperatorLink

DASHBOARD = "https://platform.openai.com"
BATCH_IDS_XCOM_KEY = "batch_ids"


class OpenAIBatchLink(BaseOperatorLink):
    """ "OpenAI batch": the first batch of the task in the OpenAI dashboard."""

    name = "OpenAI batch"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        from airflow.sdk.execution_time.xcom import XCom

        batch_ids = XCom.get_value(ti_key=ti_key, key=BATCH_IDS_XCOM_KEY)
        if not batch_ids:
            return ""
        first = batch_ids[0] if isinstance(batch_ids, list) else str(batch_ids)
        return f"{DASHBOARD}/batches/{first}"
