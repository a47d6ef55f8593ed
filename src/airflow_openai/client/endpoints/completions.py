"""`/completions`, the legacy text completions: whole or streamed in chunks.

Checked as `CreateCompletionRequest` before sending; retried as chat completions are (see `chat`).
"""

from __future__ import annotations

from collections.abc import Sequence

from airflow_openai.client.calls import ApiCall, StreamCall
from airflow_openai.client.checked import checked
from airflow_openai.client.errors import InvalidRequestError
from airflow_openai.models import CreateCompletionRequest, CreateCompletionResponse

PATH = "/completions"

Prompt = str | Sequence[str] | Sequence[int] | Sequence[Sequence[int]]
"""Text, texts, token ids, or lists of token ids (no `Any`: see `chat.Messages`)."""


def create_completion(model: str, prompt: Prompt, **options: object) -> ApiCall[CreateCompletionResponse]:
    """The text that follows `prompt` (a string, strings, or token ids); `options` are the spec's
    other fields (max_tokens, temperature, suffix, echo...). In chunks: `stream_completion`."""
    if options.get("stream"):
        raise InvalidRequestError(
            f"POST {PATH}",
            "stream",
            "create_completion returns the whole answer: stream_completion returns its chunks as they arrive",
        )
    body = checked(CreateCompletionRequest, f"POST {PATH}", {"model": model, "prompt": prompt, **options})
    return ApiCall("POST", PATH, CreateCompletionResponse.model_validate, json=body)


def stream_completion(model: str, prompt: Prompt, **options: object) -> StreamCall[CreateCompletionResponse]:
    """As `create_completion`, streamed: chunks of the same shape, each with the next piece of text."""
    fields = {"model": model, "prompt": prompt, **options, "stream": True}
    body = checked(CreateCompletionRequest, f"POST {PATH}", fields)
    return StreamCall("POST", PATH, CreateCompletionResponse.model_validate, json=body)
