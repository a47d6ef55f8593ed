"""What a fine-tuning task keeps for its next try (see `airflow_openai.records`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airflow_openai.records import TaskRecord


@dataclass
class FineTuningRecord(TaskRecord):
    key = "openai_fine_tuning"
    files: dict[str, str] = field(default_factory=dict)
    """Content digest → the file id it was uploaded as."""
    job_id: str | None = None
    request: str | None = None
    """The fingerprint of the job's data and parameters: only an attempt asking for the same takes the job over."""
    cursor: dict[str, Any] = field(default_factory=dict)
    """The last event logged (`fine_tuning.events.EventCursor`)."""
    data_report: dict[str, Any] | None = None
