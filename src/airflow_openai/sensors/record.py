"""What a sensor keeps between its pokes and across a deferral or a retry (see
`airflow_openai.records`): in reschedule mode every poke runs in a process of its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airflow_openai.records import TaskRecord


@dataclass
class SensorRecord(TaskRecord):
    key = "openai_sensor"
    legacy_keys = {"outage": "openai_sensor_outage", "cursor": "openai_fine_tuning_events"}
    outage: dict[str, Any] = field(default_factory=dict)
    """The outage counted so far (`Outage.to_dict`), so it spans the pokes of one try."""
    cursor: dict[str, Any] = field(default_factory=dict)
    """A fine-tuning job's last event logged (`fine_tuning.events.EventCursor`)."""
