"""`stream: true`: the answer sent as server-sent events, one chunk per token, ending with `data: [DONE]`.

A streamed answer is the whole answer cut up, so it says exactly what the same call would
answer in one body. Chat chunks (`chat.completion.chunk`) open each choice with the role, then
send its content (or each tool call's id and name, then its arguments) a token at a time, each
with its `logprobs` when asked, and close it with an empty delta and its `finish_reason`. With
`stream_options: {"include_usage": true}` every chunk carries `usage: null` and a last chunk
with no choices carries the usage. Text completions stream `text_completion` chunks the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from airflow_openai.emulator.inference.units import pieces

DONE = b"data: [DONE]\n\n"


def streams(body: Any) -> bool:
    return isinstance(body, dict) and body.get("stream") is True


def events(url: str, answer: dict[str, Any], body: dict[str, Any]) -> Iterator[bytes]:
    """The server-sent events of `answer` to `body`, `[DONE]` last."""
    options = body.get("stream_options") or {}
    chat = url == "/v1/chat/completions"
    chunks = chat_chunks(answer) if chat else completion_chunks(answer)
    with_usage = bool(options.get("include_usage"))
    for chunk in chunks:
        if with_usage:
            chunk["usage"] = None
        yield b"data: " + json.dumps(chunk).encode() + b"\n\n"
    if with_usage:
        last = {**_head(answer, "chat.completion.chunk" if chat else "text_completion"), "choices": []}
        yield b"data: " + json.dumps({**last, "usage": answer.get("usage")}).encode() + b"\n\n"
    yield DONE


def _head(answer: dict[str, Any], kind: str) -> dict[str, Any]:
    head = {"id": answer["id"], "object": kind, "created": answer["created"], "model": answer["model"]}
    for name in ("service_tier", "system_fingerprint"):
        if name in answer:
            head[name] = answer[name]
    return head


def chat_chunks(answer: dict[str, Any]) -> Iterator[dict[str, Any]]:
    head = _head(answer, "chat.completion.chunk")

    def chunk(
        index: int, delta: dict[str, Any], logprobs: Any = None, finish: str | None = None
    ) -> dict[str, Any]:
        choice = {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
        return {**head, "choices": [choice]}

    for choice in answer["choices"]:
        index, message = choice["index"], choice["message"]
        calls = message.get("tool_calls") or []
        content = message.get("content")
        yield chunk(index, {"role": "assistant", "content": None if calls else "", "refusal": None})
        for position, call in enumerate(calls):
            function = call["function"]
            opening = {"index": position, "id": call["id"], "type": "function"}
            yield chunk(
                index, {"tool_calls": [{**opening, "function": {"name": function["name"], "arguments": ""}}]}
            )
            for piece in pieces(function["arguments"]):
                yield chunk(index, {"tool_calls": [{"index": position, "function": {"arguments": piece}}]})
        listed = (choice.get("logprobs") or {}).get("content") or []
        for number, piece in enumerate(pieces(content or "")):
            logprobs = None
            if choice.get("logprobs") is not None:
                logprobs = {"content": listed[number : number + 1], "refusal": None}
            yield chunk(index, {"content": piece}, logprobs)
        yield chunk(index, {}, None, choice["finish_reason"])


def completion_chunks(answer: dict[str, Any]) -> Iterator[dict[str, Any]]:
    head = _head(answer, "text_completion")
    for choice in answer["choices"]:
        for piece in pieces(choice["text"]):
            yield {
                **head,
                "choices": [
                    {"text": piece, "index": choice["index"], "logprobs": None, "finish_reason": None}
                ],
            }
        last = {
            "text": "",
            "index": choice["index"],
            "logprobs": None,
            "finish_reason": choice["finish_reason"],
        }
        yield {**head, "choices": [last]}
