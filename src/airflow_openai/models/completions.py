"""`/completions` (the legacy text completions): the request the builder checks, and the answer,
which is also the shape of each chunk of a streamed one."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from airflow_openai.models.base import OpenAIObject, RequestBody
from airflow_openai.models.chat import (
    ChatCompletionStreamOptions,
    CompletionUsage,
    LogitBias,
    Name,
    Number,
    Penalty,
    Stop,
)

Prompt = (
    str
    | list[str]
    | Annotated[list[int], Field(min_length=1)]
    | Annotated[list[Annotated[list[int], Field(min_length=1)]], Field(min_length=1)]
)


class CreateCompletionRequest(RequestBody):
    model: Name
    prompt: Prompt | None
    best_of: Annotated[int, Field(ge=0, le=20)] | None = None
    echo: bool | None = None
    frequency_penalty: Penalty | None = None
    presence_penalty: Penalty | None = None
    logit_bias: LogitBias | None = None
    logprobs: Annotated[int, Field(ge=0, le=5)] | None = None
    max_tokens: Annotated[int, Field(ge=0)] | None = None
    n: Annotated[int, Field(ge=1, le=128)] | None = None
    seed: int | None = None
    stop: Stop | None = None
    stream: bool | None = None
    stream_options: ChatCompletionStreamOptions | None = None
    suffix: str | None = None
    temperature: Annotated[Number, Field(ge=0, le=2)] | None = None
    top_p: Annotated[Number, Field(ge=0, le=1)] | None = None
    user: str | None = None


class CompletionChoice(OpenAIObject):
    index: int
    text: str
    finish_reason: Literal["stop", "length", "content_filter"] | str | None = None
    logprobs: dict[str, Any] | None = None


class CreateCompletionResponse(OpenAIObject):
    """The answer; in a stream, each chunk (`finish_reason` None until the last of each choice)."""

    id: str
    object: Literal["text_completion"] | str = "text_completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: CompletionUsage | None = None
    system_fingerprint: str | None = None
