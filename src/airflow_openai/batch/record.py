"""What a batch task keeps for its next try (see `airflow_openai.records`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from airflow_openai.records import TaskRecord


@dataclass
class BatchRecord(TaskRecord):
    key = "openai_batches"
    rounds: dict[str, dict[str, str]] = field(default_factory=dict)
    """Round ("0", the first; "1", the one resubmission) → chunk fingerprint → batch id."""
    input_files: dict[str, str] = field(default_factory=dict)
    """Chunk fingerprint → its uploaded input file (a fingerprint is the chunk's exact bytes, so
    a file serves whichever round has that chunk)."""

    @classmethod
    def from_value(cls, value: Any) -> BatchRecord:
        """Earlier releases kept the rounds at the top level (``{"0": {...}}``): read those too."""
        record = super().from_value(value)
        if isinstance(value, dict):
            legacy = {k: dict(v) for k, v in value.items() if k.isdigit() and isinstance(v, dict)}
            record = dataclasses.replace(record, rounds={**legacy, **record.rounds})
        return record
