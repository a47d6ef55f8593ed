"""Extra links from a task to the dashboard of the account its connection names.

Airflow asks each link when the attempt ends, however it ends. A task that failed before it made
anything (a bad input, an unreachable service) has pushed nothing for its links to open: they are
then empty, and quiet (`pushed`), so that the task's last error line stays the real reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from airflow.sdk import BaseOperatorLink

BATCH_IDS_XCOM_KEY = "batch_ids"
DASHBOARD_XCOM_KEY = "openai_dashboard_url"
PLATFORM_HOST = "platform.openai.com"


def pushed(ti_key: Any, key: str) -> Any:
    """What the task pushed under `key`, or None when it pushed nothing (yet).

    Not asked as one value first: the task SDK's client logs a missing XCom as an error ("XCom not
    found"), which would print after the reason the task failed. The task's values under `key`, of
    every map index, come back as a list, empty when there are none, without a word; for a task
    that is not mapped that list holds its value. A mapped task's own value is then asked for by
    map index (a sibling's existing, its own may not: only then is the miss logged).
    """
    from airflow.sdk.execution_time.xcom import XCom

    values = XCom.get_all(key=key, dag_id=ti_key.dag_id, task_id=ti_key.task_id, run_id=ti_key.run_id)
    if not values:
        return None
    if getattr(ti_key, "map_index", -1) in (None, -1):
        return values[0]
    return XCom.get_value(ti_key=ti_key, key=key)


def batches_url(dashboard_url: str | None, batch_ids: Sequence[str]) -> str:
    """The page showing `batch_ids` on the dashboard at `dashboard_url`, or "" when there is none.

    One batch has a page of its own; several share the dashboard's batch list, filtered to
    them where the dashboard can be (the emulator's `?ids=`). The OpenAI platform cannot,
    so its list page is the best one link can do. No dashboard (a connection to a host with
    no known dashboard) means no link: Airflow shows the button disabled.
    """
    if not dashboard_url or not batch_ids:
        return ""
    root = dashboard_url.rstrip("/")
    if len(batch_ids) == 1:
        return f"{root}/batches/{quote(batch_ids[0], safe='')}"
    if urlsplit(root).hostname == PLATFORM_HOST:
        return f"{root}/batches"
    return f"{root}/batches?ids=" + ",".join(quote(batch_id, safe="") for batch_id in batch_ids)


class OpenAIBatchLink(BaseOperatorLink):
    """ "OpenAI batch": the task's batches on the dashboard of its connection.

    Airflow 3 calls this in the worker when the attempt ends (or defers) and keeps the
    answer in XCom for the UI, so it is built only from what the task pushed at submit
    time: the batch ids and the dashboard root its connection resolved to.
    """

    name = "OpenAI batch"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        batch_ids = pushed(ti_key, BATCH_IDS_XCOM_KEY)
        if not batch_ids:
            return ""
        ids = [str(batch_id) for batch_id in batch_ids] if isinstance(batch_ids, list) else [str(batch_ids)]
        return batches_url(pushed(ti_key, DASHBOARD_XCOM_KEY), ids)


FINE_TUNING_JOB_XCOM_KEY = "fine_tuning_job_id"
VECTOR_STORE_XCOM_KEY = "vector_store_id"
THREAD_XCOM_KEY = "thread_id"


def page_url(dashboard_url: str | None, section: str, object_id: str | None) -> str:
    """`{dashboard}/{section}/{id}`, or "" without a dashboard or an id (Airflow then shows the
    button disabled)."""
    if not dashboard_url or not object_id:
        return ""
    return f"{dashboard_url.rstrip('/')}/{section}/{quote(object_id, safe='')}"


class _ObjectPageLink(BaseOperatorLink):
    """A link to one object's page, built from what the task pushed (as `OpenAIBatchLink` is):
    the object's id under `xcom_key` and the dashboard root of its connection."""

    xcom_key_of_id = ""
    section = ""

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        object_id = pushed(ti_key, self.xcom_key_of_id)
        if not object_id:
            return ""
        return page_url(pushed(ti_key, DASHBOARD_XCOM_KEY), self.section, str(object_id))


class OpenAIFineTuningJobLink(_ObjectPageLink):
    """ "OpenAI fine-tuning job": the task's job on the dashboard of its connection."""

    name = "OpenAI fine-tuning job"
    xcom_key_of_id = FINE_TUNING_JOB_XCOM_KEY
    section = "finetune"


class OpenAIVectorStoreLink(_ObjectPageLink):
    """ "OpenAI vector store": the store the task filled, on the dashboard of its connection."""

    name = "OpenAI vector store"
    xcom_key_of_id = VECTOR_STORE_XCOM_KEY
    section = "storage/vector_stores"


class OpenAIThreadLink(_ObjectPageLink):
    """ "OpenAI thread": the thread the task's run answered in, on the dashboard of its connection."""

    name = "OpenAI thread"
    xcom_key_of_id = THREAD_XCOM_KEY
    section = "threads"
