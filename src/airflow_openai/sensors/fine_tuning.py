"""`OpenAIFineTuningJobSensor`: wait for a fine-tuning job someone else started (poke, reschedule or deferrable)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import PokeReturnValue, conf
from airflow.sdk.exceptions import AirflowException, AirflowSensorTimeout

from airflow_openai.fine_tuning.events import EventCursor
from airflow_openai.outage import DEFAULT_OUTAGE_BUDGET, waited_out
from airflow_openai.sensors.base import OpenAIBaseSensor

CURSOR_KEY = "openai_fine_tuning_events"


class OpenAIFineTuningJobSensor(OpenAIBaseSensor):
    """Succeeds when the job has succeeded and returns it as a dict; fails at once when it failed
    or was cancelled, with the server's message. The job's new events go to the task log as
    they appear, each once (in reschedule mode too: the task state store keeps the cursor).

    Past `timeout` it fails with `AirflowSensorTimeout` in every mode, deferrable included, so
    it is not retried and `soft_fail=True` skips the task instead. An API outage does not fail
    it: a poke that cannot reach the API counts as "not yet", until no poke has reached it for
    `outage_budget` seconds. The sensor never cancels the job: it only watches.

    :param job_id: the fine-tuning job (templated).
    :param openai_conn_id: the OpenAI connection.
    :param deferrable: wait in the triggerer instead of a worker slot.
    :param outage_budget: seconds without a successful poll before the sensor gives up (30 minutes).
    """

    template_fields: Sequence[str] = ("job_id",)

    def __init__(
        self,
        *,
        job_id: str,
        openai_conn_id: str = "openai_default",
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        outage_budget: float = DEFAULT_OUTAGE_BUDGET,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            openai_conn_id=openai_conn_id, deferrable=deferrable, outage_budget=outage_budget, **kwargs
        )
        self.job_id = job_id
        self._events_cursor: EventCursor | None = None

    def make_trigger(self, context: Any, deadline: float | None, pacing: dict[str, float]) -> Any:
        from airflow_openai.triggers.fine_tuning import OpenAIFineTuningJobTrigger

        return OpenAIFineTuningJobTrigger(
            self.job_id,
            self.openai_conn_id,
            deadline=deadline,
            pacing=pacing,
            cursor=self._cursor(context).to_dict(),
            cancel_on_kill=False,
        )

    def poke(self, context: Any) -> PokeReturnValue:
        from airflow_openai.fine_tuning.assessment import assess
        from airflow_openai.fine_tuning.events import advanced, line

        def read() -> tuple[Any, list[Any]]:
            job = self.hook.get_fine_tuning_job(self.job_id)
            return job, self.hook.new_fine_tuning_events(self.job_id, self._cursor(context))

        answer = self._outage.read(context, read, f"fine-tuning job {self.job_id}", self.log)
        if answer is None:
            return PokeReturnValue(is_done=False)
        job, events = answer
        for event in events:
            self.log.info(line(self.job_id, event))
        self._keep_cursor(context, advanced(self._cursor(context), events))
        assessment = assess(job)
        self.log.info(assessment.message)
        if assessment.outcome == "failed":
            raise AirflowException(assessment.message)
        return PokeReturnValue(is_done=assessment.outcome == "succeeded", xcom_value=job.to_dict())

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        self._keep_cursor(context, EventCursor.from_dict(event.get("cursor")))
        if event["status"] == "timeout":
            raise AirflowSensorTimeout(
                f"Fine-tuning job {self.job_id} did not finish within the sensor's timeout of "
                f"{self.timeout:g} s (its last status: {event.get('job_status', 'not seen yet')})"
            )
        if event["status"] != "success":
            raise AirflowException(
                f"Waiting for fine-tuning job {self.job_id} ended with {event['status']}: {event['message']}"
            )
        job = waited_out(
            lambda: self.hook.get_fine_tuning_job(self.job_id),
            f"Reading fine-tuning job {self.job_id}",
            budget=self.outage_budget,
        )
        return job.to_dict()

    # The events logged so far: kept on the sensor within one process (poke mode) and in the task
    # state store across processes (reschedule mode, deferral, retries).
    def _cursor(self, context: Any) -> EventCursor:
        if self._events_cursor is not None:
            return self._events_cursor
        store = context.get("task_state_store")
        return EventCursor.from_dict(store.get(CURSOR_KEY) if store is not None else None)

    def _keep_cursor(self, context: Any, cursor: EventCursor) -> None:
        self._events_cursor = cursor
        store = context.get("task_state_store")
        if store is not None:
            store.set(CURSOR_KEY, cursor.to_dict())
