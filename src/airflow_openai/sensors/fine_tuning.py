"""`OpenAIFineTuningJobSensor`: wait for a fine-tuning job someone else started (poke, reschedule or deferrable)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_openai.fine_tuning.events import EventCursor
from airflow_openai.records import record_store
from airflow_openai.sensors.base import OpenAIBaseSensor
from airflow_openai.sensors.record import SensorRecord


class OpenAIFineTuningJobSensor(OpenAIBaseSensor):
    """Succeeds when the job has succeeded and returns it as a dict; fails at once when it failed
    or was cancelled, with the server's message. The job's new events go to the task log as
    they appear, each once (in reschedule mode too: the task state store keeps the cursor).

    Past `timeout` it fails with `AirflowSensorTimeout` in every mode, deferrable included, so
    it is not retried and `soft_fail=True` skips the task instead. An API outage does not fail
    it: a poke that cannot reach the API counts as "not yet", until no poke has reached it for
    `outage_budget` seconds. The sensor never cancels the job: it only watches.

    :param job_id: the fine-tuning job (templated).

    ``openai_conn_id``, ``deferrable`` and ``outage_budget`` are those of `OpenAIBaseSensor`.
    """

    template_fields: Sequence[str] = ("job_id",)
    kind_name = "fine_tuning"
    ref_fields = {"ids": "job_id"}

    def __init__(self, *, job_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job_id = job_id

    def seen(self, context: Any, obj: Any) -> None:
        """Log the job's events since the last logged (the task state store keeps the cursor across
        pokes, a deferral and a retry), each once."""
        from airflow_openai.fine_tuning.events import advanced, line
        from airflow_openai.outage import is_outage

        kept = record_store(context, SensorRecord)
        cursor = EventCursor.from_dict(kept.read().cursor)
        try:
            events = self.hook.new_fine_tuning_events(self.job_id, cursor)
        except Exception as exc:
            if not is_outage(exc):
                raise
            self.log.warning("Could not read the events of fine-tuning job %s (%s); later", self.job_id, exc)
            return
        for event in events:
            self.log.info(line(self.job_id, event))
        if events:
            kept.update(cursor=advanced(cursor, events).to_dict())
