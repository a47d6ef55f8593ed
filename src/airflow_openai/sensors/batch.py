"""`OpenAIBatchSensor`: wait for a batch someone else submitted (poke, reschedule or deferrable)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import PokeReturnValue, conf
from airflow.sdk.exceptions import AirflowException, AirflowSensorTimeout

from airflow_openai.outage import DEFAULT_OUTAGE_BUDGET, waited_out
from airflow_openai.sensors.base import OpenAIBaseSensor


class OpenAIBatchSensor(OpenAIBaseSensor):
    """Succeeds when the batch has completed (or expired with partial output); fails at once when
    it failed or was cancelled, with the reasons the API gave. Returns the batch as a dict.

    Past `timeout` it fails with `AirflowSensorTimeout` in every mode, deferrable included, so
    it is not retried and `soft_fail=True` skips the task instead.

    An API outage does not fail it: a poke that cannot reach the API counts as "not yet", and
    the sensor gives up only when no poke has reached it for `outage_budget` seconds (in
    reschedule mode too: the count is kept in the task state store between pokes).

    :param batch_id: the batch to wait for (templated).
    :param openai_conn_id: the OpenAI connection.
    :param deferrable: wait in the triggerer instead of a worker slot.
    :param outage_budget: seconds without a successful poll before the sensor gives up (30 minutes).
    """

    template_fields: Sequence[str] = ("batch_id",)

    def __init__(
        self,
        *,
        batch_id: str,
        openai_conn_id: str = "openai_default",
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        outage_budget: float = DEFAULT_OUTAGE_BUDGET,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            openai_conn_id=openai_conn_id, deferrable=deferrable, outage_budget=outage_budget, **kwargs
        )
        self.batch_id = batch_id

    def make_trigger(self, context: Any, deadline: float | None, pacing: dict[str, float]) -> Any:
        from airflow_openai.triggers.batch import OpenAIBatchTrigger

        return OpenAIBatchTrigger(
            [self.batch_id], self.openai_conn_id, deadline=deadline, pacing=pacing, cancel_on_kill=False
        )

    def poke(self, context: Any) -> PokeReturnValue:
        from airflow_openai.batch.assessment import assess

        batch = self._outage.read(
            context, lambda: self.hook.get_batch(self.batch_id), f"batch {self.batch_id}", self.log
        )
        if batch is None:
            return PokeReturnValue(is_done=False)
        assessment = assess(batch)
        self.log.info(assessment.message)
        if assessment.outcome == "failed":
            raise AirflowException(assessment.message)
        return PokeReturnValue(is_done=assessment.outcome == "succeeded", xcom_value=batch.to_dict())

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        if event["status"] == "timeout":
            last = event.get("statuses", {}).get(self.batch_id, "not seen yet")
            raise AirflowSensorTimeout(
                f"Batch {self.batch_id} did not finish within the sensor's timeout of {self.timeout:g} s "
                f"(its last status: {last})"
            )
        if event["status"] != "success":
            raise AirflowException(
                f"Waiting for batch {self.batch_id} ended with {event['status']}: {event['message']}"
            )
        batch = waited_out(
            lambda: self.hook.get_batch(self.batch_id),
            f"Reading batch {self.batch_id}",
            budget=self.outage_budget,
        )
        return batch.to_dict()
