"""`/chat/completions`: a conversation's next message, whole or streamed in chunks.

Bodies are checked as `CreateChatCompletionRequest` before anything is sent. An answer is paid
for and cannot be looked up, so one lost on the way (a dropped connection once the request was
out, a 5xx) is not asked for again (`AnswerLostError`); a refusal (429, 408, 409) or a
connection never made is retried, after the wait the server advises.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from airflow_openai.client.calls import ApiCall, StreamCall
from airflow_openai.client.checked import checked
from airflow_openai.client.errors import InvalidRequestError
from airflow_openai.models import (
    CreateChatCompletionRequest,
    CreateChatCompletionResponse,
    CreateChatCompletionStreamResponse,
)

PATH = "/chat/completions"

Messages = Sequence[Mapping[str, object]]
"""Each message a ``{"role", "content"}`` dict. (The builders take no `Any`: mypy would then type the
stream method bound from one as returning `Any`, not knowing which of the binding's overloads fits.)"""


def create_chat_completion(
    model: str, messages: Messages, **options: object
) -> ApiCall[CreateChatCompletionResponse]:
    """The next message of a conversation (each message a ``{"role", "content"}`` dict); `options`
    are the spec's other fields (temperature, max_completion_tokens, response_format, tools, seed...).
    To have it in chunks as they are written, `stream_chat_completion`."""
    if options.get("stream"):
        raise InvalidRequestError(
            f"POST {PATH}",
            "stream",
            "create_chat_completion returns the whole answer: stream_chat_completion "
            "returns its chunks as they arrive",
        )
    body = checked(
        CreateChatCompletionRequest, f"POST {PATH}", {"model": model, "messages": messages, **options}
    )
    return ApiCall("POST", PATH, CreateChatCompletionResponse.model_validate, json=body)


def stream_chat_completion(
    model: str, messages: Messages, **options: object
) -> StreamCall[CreateChatCompletionStreamResponse]:
    """As `create_chat_completion`, the answer streamed (``"stream": true``): its chunks as they
    arrive, each with a `delta` of each choice. With ``stream_options={"include_usage": True}`` the
    last chunk carries the usage."""
    fields = {"model": model, "messages": messages, **options, "stream": True}
    body = checked(CreateChatCompletionRequest, f"POST {PATH}", fields)
    return StreamCall("POST", PATH, CreateChatCompletionStreamResponse.model_validate, json=body)
