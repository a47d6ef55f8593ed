"""The Assistants API: assistants, threads, their messages, runs of an assistant on a thread
(`/threads/{thread_id}/runs`) and the steps of a run."""

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
MessageStatus = Literal["in_progress", "incomplete", "completed"]
RunStepStatus = Literal["in_progress", "cancelled", "failed", "completed", "expired"]


class AssistantObject(OpenAIObject):
    """An assistant: a model with instructions and tools, run on threads."""

    id: str
    object: Literal["assistant"] = "assistant"
    created_at: int
    name: str | None = None
    description: str | None = None
    model: str
    instructions: str | None = None
    tools: list[dict[str, Any]] = Field(default_factory=list)
    tool_resources: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    temperature: float | None = None
    top_p: float | None = None
    response_format: Any = None


class ThreadObject(OpenAIObject):
    """A conversation: the messages a run reads and adds to."""

    id: str
    object: Literal["thread"] = "thread"
    created_at: int
    tool_resources: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


class MessageIncompleteDetails(OpenAIObject):
    reason: str | None = None


class MessageObject(OpenAIObject):
    """A message of a thread: the user's, or one an assistant's run wrote."""

    id: str
    object: Literal["thread.message"] = "thread.message"
    created_at: int
    thread_id: str
    status: MessageStatus | str | None = None
    incomplete_details: MessageIncompleteDetails | None = None
    completed_at: int | None = None
    incomplete_at: int | None = None
    role: Literal["user", "assistant"] | str
    content: list[dict[str, Any]] = Field(default_factory=list)
    assistant_id: str | None = None
    run_id: str | None = None
    attachments: list[dict[str, Any]] | None = None
    metadata: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        """The message's text parts, joined by blank lines (images and refusals left out)."""
        return "\n\n".join(
            str((part.get("text") or {}).get("value", ""))
            for part in self.content
            if part.get("type") == "text" and isinstance(part.get("text"), dict)
        )


class RunLastError(OpenAIObject):
    code: str | None = None
    message: str | None = None


class RunCompletionUsage(OpenAIObject):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class RunIncompleteDetails(OpenAIObject):
    reason: str | None = None
    """`max_completion_tokens` or `max_prompt_tokens`: the token limit the run reached."""


class RunToolCallFunction(OpenAIObject):
    name: str
    arguments: str = ""
    """The arguments the model chose, as a JSON text (not always valid JSON)."""


class RunToolCallObject(OpenAIObject):
    """One function call a run waits on: its output goes back with `submit_tool_outputs`."""

    id: str
    type: Literal["function"] | str = "function"
    function: RunToolCallFunction


class RunSubmitToolOutputs(OpenAIObject):
    tool_calls: list[RunToolCallObject] = Field(default_factory=list)


class RunRequiredAction(OpenAIObject):
    type: Literal["submit_tool_outputs"] | str = "submit_tool_outputs"
    submit_tool_outputs: RunSubmitToolOutputs = Field(default_factory=RunSubmitToolOutputs)


class RunObject(OpenAIObject):
    """One execution of an assistant on a thread."""

    id: str
    object: Literal["thread.run"] = "thread.run"
    created_at: int
    thread_id: str
    assistant_id: str
    status: RunStatus | str
    required_action: RunRequiredAction | None = None
    last_error: RunLastError | None = None
    expires_at: int | None = None
    started_at: int | None = None
    cancelled_at: int | None = None
    failed_at: int | None = None
    completed_at: int | None = None
    incomplete_details: RunIncompleteDetails | None = None
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

    @property
    def tool_calls(self) -> list[RunToolCallObject]:
        """The function calls the run waits on for outputs (empty unless it `requires_action`)."""
        if self.required_action is None:
            return []
        return list(self.required_action.submit_tool_outputs.tool_calls)


class RunStepLastError(OpenAIObject):
    code: str | None = None
    message: str | None = None


class RunStepObject(OpenAIObject):
    """One step of a run: a message it wrote (`message_creation`) or tools it called (`tool_calls`)."""

    id: str
    object: Literal["thread.run.step"] = "thread.run.step"
    created_at: int
    assistant_id: str | None = None
    thread_id: str
    run_id: str
    type: Literal["message_creation", "tool_calls"] | str
    status: RunStepStatus | str
    step_details: dict[str, Any] = Field(default_factory=dict)
    last_error: RunStepLastError | None = None
    expired_at: int | None = None
    cancelled_at: int | None = None
    failed_at: int | None = None
    completed_at: int | None = None
    metadata: dict[str, Any] | None = None
    usage: RunCompletionUsage | None = None
