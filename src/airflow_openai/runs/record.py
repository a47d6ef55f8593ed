"""What an assistant-run task keeps for its next try (see `airflow_openai.records`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from airflow_openai.records import TaskRecord


@dataclass
class RunRecord(TaskRecord):
    key = "openai_assistant_run"
    thread_id: str | None = None
    run_id: str | None = None
    rounds: int = 0
    """How many times the run asked for tool outputs."""
    answered_calls: list[str] = field(default_factory=list)
    wait_started: float | None = None
    """When this attempt began waiting: `timeout` bounds the whole wait, tool rounds included."""
    wait_attempt: int | None = None
