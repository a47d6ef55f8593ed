"""What every operator of this provider shares: a connection id and a hook built only when it runs."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

if TYPE_CHECKING:
    from airflow_openai.hooks.openai import OpenAIHook


class OpenAIBaseOperator(BaseOperator):
    """Base of the OpenAI operators.

    Constructing one (which Airflow does every time it parses the DAG file) reads no
    connection, imports no HTTP client and builds nothing: the hook appears on first use
    inside the running task.

    :param openai_conn_id: the Airflow connection with the OpenAI credentials.
    """

    def __init__(self, *, openai_conn_id: str = "openai_default", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.openai_conn_id = openai_conn_id

    @cached_property
    def hook(self) -> OpenAIHook:
        from airflow_openai.hooks.openai import OpenAIHook

        return OpenAIHook(self.openai_conn_id)
