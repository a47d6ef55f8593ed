"""`OpenAIRunSensor`: wait for an assistant run someone else started (poke, reschedule or deferrable)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from airflow_openai.sensors.base import OpenAIBaseSensor

NO_TOOLS_HERE = "; use OpenAIAssistantRunOperator with a tool_handler to answer them"


class OpenAIRunSensor(OpenAIBaseSensor):
    """Succeeds when the run has completed and returns it as a dict; fails at once when it failed
    (with the server's code and message), ended incomplete (naming the token limit it reached),
    expired or was cancelled.

    A run that `requires_action` waits on function calls the sensor cannot answer: it fails
    naming them (``get_weather(call_abc)``); `OpenAIAssistantRunOperator` with a `tool_handler`
    answers them instead.

    Past `timeout` it fails with `AirflowSensorTimeout` in every mode, deferrable included, so
    it is not retried and `soft_fail=True` skips the task instead. An API outage does not fail
    it: a poke that cannot reach the API counts as "not yet", until no poke has reached it for
    `outage_budget` seconds (in reschedule mode too: the count is kept in the task state store
    between pokes). The sensor never cancels the run: it only watches.

    :param thread_id: the thread the run is on (templated).
    :param run_id: the run to wait for (templated).

    ``openai_conn_id``, ``deferrable`` and ``outage_budget`` are those of `OpenAIBaseSensor`.
    """

    template_fields: Sequence[str] = ("thread_id", "run_id")
    kind_name = "run"
    ref_fields = {"ids": "run_id", "thread_id": "thread_id"}
    failure_type = AirflowFailException

    def __init__(self, *, thread_id: str, run_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.thread_id = thread_id
        self.run_id = run_id

    def failure(self, message: str, status: str, outcome: str) -> Exception:
        """A run that ended, or waits on outputs only an operator can give, stays so: no retry."""
        return AirflowFailException(message + (NO_TOOLS_HERE if outcome == "action" else ""))
