"""`OpenAIBatchSensor`: wait for a batch someone else submitted (poke, reschedule or deferrable)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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

    ``openai_conn_id``, ``deferrable`` and ``outage_budget`` are those of `OpenAIBaseSensor`.
    """

    template_fields: Sequence[str] = ("batch_id",)

    kind_name = "batch"
    ref_fields = {"ids": "batch_id"}

    def __init__(self, *, batch_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.batch_id = batch_id
