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

    state_key: str = ""
    """The task state store key under which the operator keeps what a retry needs."""

    def _state(self, context: Any) -> dict[str, Any]:
        """What an earlier attempt of this task instance recorded (empty without a state store)."""
        store = context.get("task_state_store")
        value = store.get(self.state_key) if store is not None else None
        return dict(value) if isinstance(value, dict) else {}

    def _save(self, context: Any, **changes: Any) -> None:
        """Record `changes` for a retry, keeping the rest of what was recorded."""
        store = context.get("task_state_store")
        if store is not None:
            store.set(self.state_key, {**self._state(context), **changes})

    @cached_property
    def hook(self) -> OpenAIHook:
        from airflow_openai.hooks.openai import OpenAIHook

        return OpenAIHook(self.openai_conn_id)
