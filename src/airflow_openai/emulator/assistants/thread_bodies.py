"""The request bodies of threads, messages and runs, and the control plane's run fault, read as strictly as
the assistants' (see `assistant_bodies`).

Beyond the spec: `reasoning_effort` on runs (the official SDK sends it when asked), and the
spec's `thread_id` requirement on run bodies is dropped (the thread is in the path). A run
asked to `stream` is a 400: the emulator answers runs by polling only.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from airflow_openai.emulator.assistants.assistant_bodies import (
    Body,
    CodeInterpreterTool,
    Metadata,
    NewToolResources,
    ReasoningEffort,
    ResponseFormat,
    Temperature,
    Tool,
    ToolResources,
    TopP,
)

INCLUDABLE = ("step_details.tool_calls[*].file_search.results[*].content",)
"""The only value `include[]` takes on runs and run steps."""
MAX_THREAD_MESSAGES = 32


class TextPart(Body):
    type: Literal["text"]
    text: str


class ImageFile(Body):
    file_id: Annotated[str, Field(min_length=1)]
    detail: Literal["auto", "low", "high"] | None = None


class ImageFilePart(Body):
    type: Literal["image_file"]
    image_file: ImageFile


class ImageUrl(Body):
    url: Annotated[str, Field(pattern=r"^(https?://|data:)")]
    detail: Literal["auto", "low", "high"] | None = None


class ImageUrlPart(Body):
    type: Literal["image_url"]
    image_url: ImageUrl


ContentPart = Annotated[TextPart | ImageFilePart | ImageUrlPart, Field(discriminator="type")]


class FileSearchTypeOnly(Body):
    type: Literal["file_search"]


class Attachment(Body):
    file_id: Annotated[str, Field(min_length=1)]
    tools: list[Annotated[CodeInterpreterTool | FileSearchTypeOnly, Field(discriminator="type")]] | None = (
        None
    )


class CreateMessageRequest(Body):
    role: Literal["user", "assistant"]
    content: str | Annotated[list[ContentPart], Field(min_length=1)]
    attachments: list[Attachment] | None = None
    metadata: Metadata | None = None


class ModifyRequest(Body):
    """Messages and runs: only their metadata changes."""

    metadata: Metadata | None = None


class CreateThreadRequest(Body):
    messages: Annotated[list[CreateMessageRequest], Field(max_length=MAX_THREAD_MESSAGES)] | None = None
    metadata: Metadata | None = None
    tool_resources: NewToolResources | None = None


class ModifyThreadRequest(Body):
    metadata: Metadata | None = None
    tool_resources: ToolResources | None = None


class Truncation(Body):
    type: Literal["auto", "last_messages"]
    last_messages: Annotated[int, Field(ge=1)] | None = None


class NamedFunction(Body):
    name: str


class NamedToolChoice(Body):
    type: Literal["function", "code_interpreter", "file_search"]
    function: NamedFunction | None = None


ToolChoice = Literal["none", "auto", "required"] | NamedToolChoice
TokenLimit = Annotated[int, Field(ge=256)]


class RunOptions(Body):
    """What a run takes whether its thread exists or is made with it."""

    assistant_id: Annotated[str, Field(min_length=1)]
    model: str | None = None
    instructions: str | None = None
    tools: Annotated[list[Tool], Field(max_length=20)] | None = None
    metadata: Metadata | None = None
    temperature: Temperature | None = None
    top_p: TopP | None = None
    stream: bool | None = None
    max_prompt_tokens: TokenLimit | None = None
    max_completion_tokens: TokenLimit | None = None
    truncation_strategy: Truncation | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    reasoning_effort: ReasoningEffort | None = None


class CreateRunRequest(RunOptions):
    additional_instructions: str | None = None
    additional_messages: list[CreateMessageRequest] | None = None


class CreateThreadAndRunRequest(RunOptions):
    thread: CreateThreadRequest | None = None
    tool_resources: NewToolResources | None = None


class ToolOutput(Body):
    tool_call_id: Annotated[str, Field(min_length=1)]
    output: str = ""


class SubmitToolOutputsRequest(Body):
    tool_outputs: list[ToolOutput]
    stream: bool | None = None


class FailRunRequest(Body):
    """`POST /_emulator/faults/runs`: fail a run (the next one created when `run_id` is null)."""

    run_id: Annotated[str, Field(min_length=1)] | None = None
    code: Literal["server_error", "rate_limit_exceeded", "invalid_prompt"] = "server_error"
    message: Annotated[str, Field(min_length=1)] | None = None
