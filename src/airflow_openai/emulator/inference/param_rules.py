"""The rules that join fields of a request: each field may be right alone and the pair still refused.

Checked after the types and ranges (`params`), by the emulator and by the provider's batch
checks alike, each refusal in the service's words:

- chat: `stream_options` only with `stream`; `tool_choice` and `parallel_tool_calls` only with
  `tools`, and a named `tool_choice` only for a function among them; `top_logprobs` only with
  `logprobs`; a `tool` message only in answer to the assistant message with its call just
  before, and an assistant message with `tool_calls` answered by a tool message for each call;
- completions: `stream_options` only with `stream`; `best_of` no smaller than `n`;
- embeddings, by model (`model_refusal`, which only the emulator applies): `dimensions` only on the
  models that take it, and no more than the model's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_openai.emulator.inference.catalog import EMBEDDING_DIMENSIONS, FIXED_DIMENSIONS, base_of


@dataclass(frozen=True)
class Refusal:
    param: str | None
    message: str
    code: str | None = "invalid_value"


def refusal(url: str, body: dict[str, Any]) -> Refusal | None:
    """The first rule `body` breaks at `url`; None when it breaks none. `body` has passed `params`' types."""
    if url == "/v1/chat/completions":
        return _streaming(body) or _tools(body) or _logprobs(body) or _tool_messages(body["messages"])
    if url == "/v1/completions":
        return _streaming(body) or _best_of(body)
    return None


def model_refusal(url: str, body: dict[str, Any]) -> Refusal | None:
    """The first rule of the model named that `body` breaks; None when it breaks none. Only the emulator
    applies these (`params.check`): the provider's checks of batch lines judge no model names."""
    if url == "/v1/embeddings":
        return _dimensions(body)
    return None


def _streaming(body: dict[str, Any]) -> Refusal | None:
    if body.get("stream_options") is not None and not body.get("stream"):
        return Refusal(
            "stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled."
        )
    return None


def _tools(body: dict[str, Any]) -> Refusal | None:
    tools = body.get("tools")
    for name in ("tool_choice", "parallel_tool_calls"):
        if body.get(name) is not None and not tools:
            return Refusal(
                name, f"Invalid value for '{name}': '{name}' is only allowed when 'tools' are specified."
            )
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        wanted = choice["function"]["name"]
        if wanted not in {tool["function"]["name"] for tool in tools or ()}:
            return Refusal(
                "tool_choice", f"Invalid value for 'tool_choice': function '{wanted}' is not among 'tools'."
            )
    return None


def _logprobs(body: dict[str, Any]) -> Refusal | None:
    if body.get("top_logprobs") is not None and not body.get("logprobs"):
        return Refusal(
            "top_logprobs",
            "Invalid value for 'top_logprobs': 'logprobs' must be set to true to use 'top_logprobs'.",
        )
    return None


def _tool_messages(messages: list[dict[str, Any]]) -> Refusal | None:
    """Each tool message answers a call of the assistant message before the tool messages; each call is answered."""
    waiting: dict[str, int] = {}
    for index, message in enumerate(messages):
        role = message["role"]
        if role == "tool":
            call = message.get("tool_call_id")
            if not isinstance(call, str) or not call:
                return Refusal(
                    f"messages.[{index}].tool_call_id",
                    "Missing parameter 'tool_call_id': messages with role 'tool' must have a 'tool_call_id'.",
                    "missing_required_parameter",
                )
            if call not in waiting:
                return Refusal(
                    f"messages.[{index}].role",
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message "
                    "with 'tool_calls'.",
                    None,
                )
            del waiting[call]
            continue
        if waiting:
            return _unanswered(waiting)
        calls = message.get("tool_calls") if role == "assistant" else None
        if isinstance(calls, list):
            waiting = {
                call["id"]: index
                for call in calls
                if isinstance(call, dict) and isinstance(call.get("id"), str)
            }
    return _unanswered(waiting) if waiting else None


def _unanswered(waiting: dict[str, int]) -> Refusal:
    index = next(iter(waiting.values()))
    return Refusal(
        f"messages.[{index}].role",
        "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
        f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(waiting)}",
        None,
    )


def _best_of(body: dict[str, Any]) -> Refusal | None:
    best_of, n = body.get("best_of"), body.get("n")
    if best_of is not None and n is not None and best_of < n:
        return Refusal("best_of", "best_of must be greater than or equal to n.")
    return None


def _dimensions(body: dict[str, Any]) -> Refusal | None:
    dimensions = body.get("dimensions")
    model = base_of(body["model"])
    if dimensions is None or model not in EMBEDDING_DIMENSIONS:
        return None
    if model in FIXED_DIMENSIONS:
        return Refusal("dimensions", "This model does not support specifying dimensions.", None)
    most = EMBEDDING_DIMENSIONS[model]
    if dimensions > most:
        return Refusal(
            "dimensions",
            f"Invalid 'dimensions': value above maximum value. Expected a value <= {most}, but got "
            f"{dimensions} instead.",
            "integer_above_max_value",
        )
    return None
