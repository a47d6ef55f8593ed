"""What a run asks the emulator's model, and what the assistant's message then says.

A run's turn is a chat request to the responder (`state.respond`, which also answers
fine-tuned models made here): the run's instructions as the system message, then the
thread's messages oldest first, and after tool outputs the assistant's tool calls and one
`tool` message per output. The run's `response_format` (when not `auto`), `temperature`
and `top_p` go along, so `json_object` and `json_schema` answers are JSON, the latter
valid for its schema.

Tokens are counted as the responder counts them, one per 4 characters. `truncation_strategy`
`last_messages: n` keeps the last n messages; `auto` drops the oldest ones while the prompt
exceeds what is left of `max_prompt_tokens`, down to the last message. After tool outputs,
the answer says what each call returned: as lines after the model's text, or under a
`tool_outputs` key of a `json_object` answer (a `json_schema` answer keeps to its schema).
"""

from __future__ import annotations

import json
import math
from typing import Any

from airflow_openai.emulator.core.store import Obj

QUOTED_OUTPUT = 4000
"""Characters of each tool output the answer repeats."""


def tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def message_text(message: Obj) -> str:
    return " ".join(part["text"]["value"] for part in message["content"] if part["type"] == "text")


def last_user_text(messages: list[Obj]) -> str:
    return next((message_text(m) for m in reversed(messages) if m["role"] == "user"), "")


def fitted(
    messages: list[Obj], truncation: dict[str, Any] | None, fixed_tokens: int, budget: int | None
) -> list[Obj] | None:
    """The messages (oldest first) the turn reads, or None when even the last one does not fit `budget`."""
    kept = list(messages)
    if truncation and truncation["type"] == "last_messages":
        kept = kept[-truncation["last_messages"] :]
    if budget is None:
        return kept

    def size(chosen: list[Obj]) -> int:
        return fixed_tokens + sum(tokens(message_text(message)) for message in chosen)

    while len(kept) > 1 and size(kept) > budget:
        kept.pop(0)
    return kept if size(kept) <= budget else None


def prompt_tokens(instructions: str, messages: list[Obj], calls: list[dict[str, Any]] | None = None) -> int:
    """The turn's prompt: instructions, messages and, after tool outputs, the calls and their outputs."""
    return tokens(instructions) + sum(tokens(message_text(m)) for m in messages) + tokens(_calls_text(calls))


def _calls_text(calls: list[dict[str, Any]] | None) -> str:
    return "".join(
        call["function"]["name"] + call["function"]["arguments"] + (call["function"].get("output") or "")
        for call in calls or []
    )


def calls_tokens(calls: list[dict[str, Any]]) -> int:
    """What writing the calls costs the model: their names and arguments."""
    return tokens("".join(call["function"]["name"] + call["function"]["arguments"] for call in calls))


def chat_body(run: Obj, messages: list[Obj], calls: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The responder's request for a turn; `calls` carry their `output` once submitted."""
    chat: list[dict[str, Any]] = [{"role": "system", "content": run["instructions"]}]
    chat += [{"role": message["role"], "content": message_text(message)} for message in messages]
    if calls:
        chat.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {key: call[key] for key in ("id", "type")} | _function(call) for call in calls
                ],
            }
        )
        chat += [
            {"role": "tool", "tool_call_id": call["id"], "content": call["function"]["output"]}
            for call in calls
        ]
    body: dict[str, Any] = {"model": run["model"], "messages": chat}
    if isinstance(run["response_format"], dict) and run["response_format"]["type"] != "text":
        body["response_format"] = run["response_format"]
    for name in ("temperature", "top_p"):
        if run.get(name) is not None:
            body[name] = run[name]
    return body


def _function(call: dict[str, Any]) -> dict[str, Any]:
    return {"function": {"name": call["function"]["name"], "arguments": call["function"]["arguments"]}}


def answer(content: str, response_format: Any, calls: list[dict[str, Any]] | None) -> str:
    """The model's text, saying what each call returned (see the module's docstring)."""
    if not calls:
        return content
    outputs = [
        {"name": call["function"]["name"], "output": call["function"]["output"][:QUOTED_OUTPUT]}
        for call in calls
    ]
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind == "json_schema":
        return content
    if kind == "json_object":
        try:
            parsed = json.loads(content)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return json.dumps({**parsed, "tool_outputs": outputs})
    lines = "\n".join(f"- {item['name']} returned: {item['output']}" for item in outputs)
    return f"{content}\n\nFrom the tools:\n{lines}"


def cut(text: str, allowed_tokens: int) -> str:
    """What fits in `allowed_tokens`."""
    return text[: max(0, allowed_tokens) * 4]
