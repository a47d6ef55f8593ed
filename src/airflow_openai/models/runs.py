"""Runs of an assistant on a thread (`/threads/{thread_id}/runs`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from airflow_openai.models.base import OpenAIObject

RunStatus = Literal[
    "queued",
    "in_progress",
    "requires_action",
    "cancelling",
    "cancelled",
    "failed",
    "completed",
    "incomplete",
    "expired",
]
RUN_TERMINAL_STATUSES: frozenset[str] = frozenset(
    {"cancelled", "failed", "completed", "incomplete", "expired"}
)


class RunLastError(OpenAIObject):
    code: str | None = None
    message: str | None = None


class RunCompletionUsage(OpenAIObject):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class RunObject(OpenAIObject):
    """One execution of an assistant on a thread."""

    id: str
    object: Literal["thread.run"] = "thread.run"
    created_at: int
    thread_id: str
    assistant_id: str
    status: RunStatus | str
    required_action: dict[str, Any] | None = None
    last_error: RunLastError | None = None
    expires_at: int | None = None
    started_at: int | None = None
    cancelled_at: int | None = None
    failed_at: int | None = None
    completed_at: int | None = None
    incomplete_details: dict[str, Any] | None = None
    model: str | None = None
    instructions: str | None = None
    tools: list[dict[str, Any]] = Field(default_factory=list)
    metadata: dict[str, Any] | None = None
    usage: RunCompletionUsage | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_prompt_tokens: int | None = None
    max_completion_tokens: int | None = None
    truncation_strategy: dict[str, Any] | None = None
    tool_choice: Any = None
    parallel_tool_calls: bool | None = None
    response_format: Any = None

    @property
    def is_terminal(self) -> bool:
        """`requires_action` is not terminal: the run waits for tool outputs."""
        return self.status in RUN_TERMINAL_STATUSES
