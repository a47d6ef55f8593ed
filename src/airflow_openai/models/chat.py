"""`/chat/completions`: the request the builder checks, the answer, and the chunks of a streamed answer."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from airflow_openai.models.base import OpenAIObject, RequestBody

Number = Annotated[float, Field(allow_inf_nan=False)]
Penalty = Annotated[Number, Field(ge=-2, le=2)]
Name = Annotated[str, Field(min_length=1)]
Stop = str | Annotated[list[str], Field(min_length=1, max_length=4)]
LogitBias = dict[str, Annotated[int, Field(ge=-100, le=100)]]

ChatRole = Literal["system", "developer", "user", "assistant", "tool", "function"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]

# -- the request ----------------------------------------------------------------------------------------


class ChatCompletionRequestMessage(RequestBody):
    """One message of the conversation. The spec's one-of per role, as one model: content is required
    but for an assistant's (which may carry only tool calls), and a tool's answer names its call."""

    role: ChatRole
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None
    tool_call_id: str | None = None
    tool_calls: list[dict[str, Any]] | None = None

    @model_validator(mode="after")
    def _role_rules(self) -> ChatCompletionRequestMessage:
        if self.content is None and self.role not in ("assistant", "function"):
            raise ValueError(f"a {self.role} message needs content")
        if self.role == "tool" and not self.tool_call_id:
            raise ValueError("a tool message needs the tool_call_id it answers")
        return self


class ChatCompletionNamedFunction(RequestBody):
    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_-]+$")]
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class ChatCompletionTool(RequestBody):
    type: Literal["function"]
    function: ChatCompletionNamedFunction


class ResponseFormatJsonSchemaSchema(RequestBody):
    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_-]+$")]
    description: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class ResponseFormat(RequestBody):
    """`ResponseFormatText`, `ResponseFormatJsonObject` or `ResponseFormatJsonSchema`."""

    type: Literal["text", "json_object", "json_schema"]
    json_schema: ResponseFormatJsonSchemaSchema | None = None

    @model_validator(mode="after")
    def _schema_given(self) -> ResponseFormat:
        if self.type == "json_schema" and self.json_schema is None:
            raise ValueError("type json_schema needs a json_schema")
        return self


class ChatCompletionStreamOptions(RequestBody):
    include_usage: bool | None = None


class CreateChatCompletionRequest(RequestBody):
    model: Name
    messages: Annotated[list[ChatCompletionRequestMessage], Field(min_length=1)]
    frequency_penalty: Penalty | None = None
    presence_penalty: Penalty | None = None
    logit_bias: LogitBias | None = None
    logprobs: bool | None = None
    top_logprobs: Annotated[int, Field(ge=0, le=20)] | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    n: Annotated[int, Field(ge=1, le=128)] | None = None
    response_format: ResponseFormat | None = None
    seed: int | None = None
    service_tier: str | None = None
    stop: Stop | None = None
    stream: bool | None = None
    stream_options: ChatCompletionStreamOptions | None = None
    temperature: Annotated[Number, Field(ge=0, le=2)] | None = None
    top_p: Annotated[Number, Field(ge=0, le=1)] | None = None
    tools: list[ChatCompletionTool] | None = None
    tool_choice: Literal["none", "auto", "required"] | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    user: str | None = None
    functions: Annotated[list[ChatCompletionNamedFunction], Field(min_length=1, max_length=128)] | None = None
    """Deprecated for `tools`."""
    function_call: Literal["none", "auto"] | dict[str, Any] | None = None
    """Deprecated for `tool_choice`."""

    @field_validator("response_format")
    @classmethod
    def _json_mode_asks_for_json(
        cls, value: ResponseFormat | None, info: ValidationInfo
    ) -> ResponseFormat | None:
        """The API refuses JSON mode unless the messages ask for JSON (so the model does not run on)."""
        messages = info.data.get("messages")
        if value is not None and value.type == "json_object" and messages is not None:
            said = json.dumps([message.content for message in messages], ensure_ascii=False)
            if "json" not in said.lower():
                raise ValueError(
                    "json_object needs the word 'json' in the messages (the API refuses it otherwise)"
                )
        return value


# -- the answer ------------------------------------------------------------------------------------------


class CompletionUsage(OpenAIObject):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    completion_tokens_details: dict[str, Any] | None = None
    prompt_tokens_details: dict[str, Any] | None = None


class FunctionCall(OpenAIObject):
    """The function a tool call names, and its arguments as JSON text (parts of both, in a stream's chunks)."""

    name: str | None = None
    arguments: str | None = None


class ChatCompletionMessageToolCall(OpenAIObject):
    id: str
    type: Literal["function"] | str = "function"
    function: FunctionCall


class ChatCompletionResponseMessage(OpenAIObject):
    role: Literal["assistant"] | str = "assistant"
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ChatCompletionMessageToolCall] | None = None
    function_call: FunctionCall | None = None


class ChatCompletionTokenLogprob(OpenAIObject):
    token: str
    logprob: float
    bytes: list[int] | None = None
    top_logprobs: list[dict[str, Any]] = []


class ChatCompletionLogprobs(OpenAIObject):
    content: list[ChatCompletionTokenLogprob] | None = None
    refusal: list[ChatCompletionTokenLogprob] | None = None


class ChatCompletionChoice(OpenAIObject):
    index: int
    message: ChatCompletionResponseMessage
    finish_reason: FinishReason | str | None = None
    logprobs: ChatCompletionLogprobs | None = None


class CreateChatCompletionResponse(OpenAIObject):
    id: str
    object: Literal["chat.completion"] | str = "chat.completion"
    created: int
    model: str
    choices: list[ChatCompletionChoice]
    usage: CompletionUsage | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None


# -- a streamed answer's chunks ---------------------------------------------------------------------------


class ChatCompletionMessageToolCallChunk(OpenAIObject):
    index: int
    id: str | None = None
    type: Literal["function"] | str | None = None
    function: FunctionCall | None = None


class ChatCompletionStreamResponseDelta(OpenAIObject):
    role: ChatRole | str | None = None
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ChatCompletionMessageToolCallChunk] | None = None
    function_call: FunctionCall | None = None


class ChatCompletionStreamChoice(OpenAIObject):
    index: int
    delta: ChatCompletionStreamResponseDelta
    finish_reason: FinishReason | str | None = None
    logprobs: ChatCompletionLogprobs | None = None


class CreateChatCompletionStreamResponse(OpenAIObject):
    """One chunk of a streamed answer; with `stream_options={"include_usage": True}` the last one
    has no choices and carries the `usage` of the whole answer."""

    id: str
    object: Literal["chat.completion.chunk"] | str = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChatCompletionStreamChoice]
    usage: CompletionUsage | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None
