"""`OpenAIRunSensor`: wait for an assistant run someone else started (poke, reschedule or deferrable)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import PokeReturnValue, conf
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSensorTimeout

from airflow_openai.outage import DEFAULT_OUTAGE_BUDGET, waited_out
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
    :param openai_conn_id: the OpenAI connection.
    :param deferrable: wait in the triggerer instead of a worker slot.
    :param outage_budget: seconds without a successful poll before the sensor gives up (30 minutes).
    """

    template_fields: Sequence[str] = ("thread_id", "run_id")

    def __init__(
        self,
        *,
        thread_id: str,
        run_id: str,
        openai_conn_id: str = "openai_default",
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        outage_budget: float = DEFAULT_OUTAGE_BUDGET,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            openai_conn_id=openai_conn_id, deferrable=deferrable, outage_budget=outage_budget, **kwargs
        )
        self.thread_id = thread_id
        self.run_id = run_id

    @property
    def _what(self) -> str:
        return f"run {self.run_id} on thread {self.thread_id}"

    def make_trigger(self, context: Any, deadline: float | None, pacing: dict[str, float]) -> Any:
        from airflow_openai.runs.watch import RUN_PACING
        from airflow_openai.triggers.runs import OpenAIRunTrigger

        # A run takes seconds to minutes: polls grow with its age only up to RUN_PACING's cap.
        capped = {**pacing, "maximum": max(RUN_PACING.maximum, self.poke_interval)}
        return OpenAIRunTrigger(
            self.thread_id,
            self.run_id,
            self.openai_conn_id,
            deadline=deadline,
            pacing=capped,
            cancel_on_kill=False,
        )

    def poke(self, context: Any) -> PokeReturnValue:
        from airflow_openai.runs.assessment import assess

        run = self._outage.read(
            context, lambda: self.hook.get_run(self.thread_id, self.run_id), self._what, self.log
        )
        if run is None:
            return PokeReturnValue(is_done=False)
        assessment = assess(run)
        self.log.info(assessment.message)
        # A run that ended, or waits on outputs only an operator can give, stays so: no retry.
        if assessment.outcome == "failed":
            raise AirflowFailException(assessment.message)
        if assessment.outcome == "action":
            raise AirflowFailException(assessment.message + NO_TOOLS_HERE)
        return PokeReturnValue(is_done=assessment.outcome == "succeeded", xcom_value=run.to_dict())

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        if event["status"] == "timeout":
            raise AirflowSensorTimeout(
                f"Run {self.run_id} on thread {self.thread_id} did not finish within the sensor's timeout "
                f"of {self.timeout:g} s (its last status: {event.get('run_status', 'not seen yet')})"
            )
        if event["status"] == "action":
            raise AirflowFailException(event["message"] + NO_TOOLS_HERE)
        if event["status"] == "failed":
            raise AirflowFailException(f"Waiting for {self._what} ended with failed: {event['message']}")
        if event["status"] != "success":
            raise AirflowException(
                f"Waiting for {self._what} ended with {event['status']}: {event['message']}"
            )
        run = waited_out(
            lambda: self.hook.get_run(self.thread_id, self.run_id),
            f"Reading {self._what}",
            budget=self.outage_budget,
        )
        return run.to_dict()
