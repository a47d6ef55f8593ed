"""What a vector-store ingestion task keeps for its next try (see `airflow_openai.records`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airflow_openai.records import TaskRecord


@dataclass
class VectorStoreRecord(TaskRecord):
    key = "openai_vector_store"
    store: str | None = None
    uploads: dict[str, str] = field(default_factory=dict)
    """Ingest name → the file id it was uploaded as."""
    batches: list[str] = field(default_factory=list)
    """The file batches being waited for."""
    attached: list[str] = field(default_factory=list)
    round: int = 1
    tally: dict[str, Any] = field(default_factory=dict)
    expired: list[str] = field(default_factory=list)
    """Expired stores holding the store key, replaced by `store`: deleted once it is complete."""
