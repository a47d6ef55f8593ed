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
    """The tool calls whose outputs the run took: never answered, nor submitted, again."""
    answers: dict[str, str] = field(default_factory=dict)
    """What the tool handler answered (tool call id → output), written as soon as the handler
    returns and before anything is submitted: a retry or a resumed deferral submits these and
    never calls the handler again for those calls. A call leaves once the run took its output
    (it is then in `answered_calls`)."""
    wait_started: float | None = None
    """When this attempt began waiting: `timeout` bounds the whole wait, tool rounds included."""
    wait_attempt: int | None = None
