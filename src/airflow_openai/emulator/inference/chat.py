"""The built-in model's chat completion: every field of the request that shapes the answer is honoured.

- `n` choices, each its own (choice 0 is `Emulated answer to: <the last user message>`);
- `response_format`: text, a JSON object with the keys the messages ask for (`json_keys`), or
  an instance of the `json_schema` given (`schema_instance`);
- `tools` and `tool_choice` (`tool_choice`): calls with arguments valid for each function's
  schema, `content: null` and `finish_reason: "tool_calls"`;
- `stop` and `max_completion_tokens`/`max_tokens` cut the text (`shaping`), `logprobs` and
  `top_logprobs` describe its tokens;
- `usage` counts the prompt (messages and tools) and every choice's tokens.

The answer is a function of the request; its id here is derived from it, and the route gives
each call a fresh one (`stamping`), as the service never answers two calls with one id.
"""

from __future__ import annotations

import json
import random
from typing import Any

from airflow_openai.emulator.inference import json_keys, shaping, tool_choice
from airflow_openai.emulator.inference.schema_instance import check_schema, instance_of
from airflow_openai.emulator.inference.units import seed_of, text_of, tokens

Answer = tuple[int, dict[str, Any]]
FINGERPRINT = "fp_emulator"


def refusal(message: str, param: str | None) -> Answer:
    return 400, {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}}


def chat_completion(model: str, body: dict[str, Any]) -> Answer:
    """The answer to a chat request `params` has accepted."""
    messages = body["messages"]
    prompt = " ".join(text_of(m.get("content")) for m in messages)
    asked = " ".join(text_of(m.get("content")) for m in messages if m.get("role") != "assistant")
    question = next(
        (text_of(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), prompt
    )
    response_format = body.get("response_format") or {}
    schema = (response_format.get("json_schema") or {}).get("schema") if response_format else None
    if response_format.get("type") == "json_schema":
        if not isinstance(schema, dict):
            return refusal(
                "Invalid schema for response_format: a JSON schema object is required", "response_format"
            )
        try:
            check_schema(schema)
        except ValueError as exc:
            return refusal(f"Invalid schema for response_format: {exc}", "response_format")
    for position, tool in enumerate(body.get("tools") or ()):
        try:
            check_schema(tool["function"].get("parameters") or {})
        except ValueError as exc:
            name = tool["function"]["name"]
            return refusal(
                f"Invalid schema for function '{name}': {exc}", f"tools[{position}].function.parameters"
            )
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    stops = shaping.stops_of(body)
    choices, completion_tokens = [], 0
    for index in range(body.get("n") or 1):
        rng = random.Random(seed_of(model, messages, body.get("tools"), index))
        try:
            calls = tool_choice.calls(body, question, rng)
        except (KeyError, TypeError, ValueError, IndexError) as exc:  # parameters no value can satisfy
            return refusal(f"Invalid schema for function parameters: {exc}", "tools")
        if calls:
            message, said, finish = _calling(calls, model, messages, index, limit)
        else:
            try:
                text = _text(response_format.get("type"), schema, asked, question, index, rng)
            except (KeyError, TypeError, ValueError, IndexError) as exc:  # a schema no value can satisfy
                return refusal(f"Invalid schema for response_format: {exc}", "response_format")
            said, finish = shaping.shaped(text, stops, limit)
            message = {"role": "assistant", "content": said, "refusal": None}
        logprobs = None
        if body.get("logprobs"):
            logprobs = shaping.chat_logprobs(said, body.get("top_logprobs") or 0, rng)
        choices.append({"index": index, "message": message, "logprobs": logprobs, "finish_reason": finish})
        completion_tokens += tokens(said)
    prompt_tokens = tokens(prompt) + (tokens(json.dumps(body["tools"])) if body.get("tools") else 0)
    seed = seed_of(model, messages, "id")
    return 200, {
        "id": f"chatcmpl-{seed:016x}",
        "object": "chat.completion",
        "created": 1_700_000_000 + seed % 10_000_000,
        "model": model,
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }


def _text(kind: str | None, schema: Any, asked: str, question: str, index: int, rng: random.Random) -> str:
    if kind == "json_object":
        return json.dumps(json_keys.json_object(asked, question, rng))
    if kind == "json_schema":
        return json.dumps(instance_of(schema, schema, rng, question, patterns=False))
    ordinal = "" if index == 0 else f" {index + 1}"
    return f"Emulated answer{ordinal} to: {question[:300]}"


def _calling(
    calls: list[tuple[str, str]], model: str, messages: Any, index: int, limit: int | None
) -> tuple[dict[str, Any], str, str]:
    """The assistant message making `calls`, what it wrote (the arguments) and its `finish_reason`; past the
    token limit the arguments are cut, as the service cuts them, and the reason is `length`."""
    budget = None if limit is None else limit * 4
    made: list[dict[str, Any]] = []
    said, finish = "", "tool_calls"
    for position, (name, arguments) in enumerate(calls):
        if budget is not None:
            if len(arguments) > budget:
                arguments, finish = arguments[:budget], "length"
            budget -= len(arguments)
        call_id = f"call_{seed_of(model, messages, index, position):x}"[:29]
        made.append({"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}})
        said += arguments
        if finish == "length":
            break
    return {"role": "assistant", "content": None, "refusal": None, "tool_calls": made}, said, finish
