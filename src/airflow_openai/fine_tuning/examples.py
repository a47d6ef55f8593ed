"""One training example checked as the fine-tuning API reads it: the first thing wrong, with its JSON path.

The shapes are the spec's `FinetuneChatRequestInput` (messages of the system, user, assistant,
tool and deprecated function roles, optional `tools`, `functions`, `parallel_tool_calls`) and
`FinetuneCompletionRequestInput` (`prompt` and `completion`). The checks are those of OpenAI's
cookbook "Data preparation and analysis for chat model fine-tuning" (data_type,
missing_messages_list, message_missing_key, message_unrecognized_key, unrecognized_role,
missing_content, example_missing_assistant_message), with each field's type from the spec.
Unknown keys are refused: the cookbook counts them as errors, and they are mostly typos.
"""

from __future__ import annotations

from typing import Any, Literal

from airflow_openai.fine_tuning.example_fields import (
    Refused,
    json_type,
    refuse_unknown,
    require_string,
    shown,
)
from airflow_openai.fine_tuning.example_tools import (
    check_call,
    check_functions,
    check_tool_calls,
    check_tools,
)

__all__ = ["COMPLETION_MODELS", "Format", "Refused", "base_model", "check_example", "data_format"]

Format = Literal["chat", "completion"]

COMPLETION_MODELS = ("babbage-002", "davinci-002")
"""The models that take prompt/completion examples; every other model takes chat examples."""

CHAT_KEYS = ("messages", "tools", "functions", "parallel_tool_calls")
COMPLETION_KEYS = ("prompt", "completion")
ROLES = ("system", "user", "assistant", "tool", "function")
MESSAGE_KEYS: dict[str, tuple[str, ...]] = {
    "system": ("role", "content", "name"),
    "user": ("role", "content", "name"),
    "assistant": ("role", "content", "name", "refusal", "tool_calls", "function_call", "weight"),
    "tool": ("role", "content", "tool_call_id", "name"),
    "function": ("role", "content", "name"),
}
PART_TYPES: dict[str, tuple[str, ...]] = {
    "system": ("text",),
    "user": ("text", "image_url"),
    "assistant": ("text", "refusal"),
    "tool": ("text",),
}
PART_KEYS = {"text": ("type", "text"), "image_url": ("type", "image_url"), "refusal": ("type", "refusal")}
IMAGE_DETAILS = ("auto", "low", "high")


def base_model(model: str) -> str:
    """The model a name was fine-tuned from (`ft:gpt-4o-mini-2024-07-18:org::id` gives
    `gpt-4o-mini-2024-07-18`), or the name itself."""
    if model.startswith("ft:"):
        return model.split(":")[1]
    return model


def data_format(model: str) -> Format:
    """The example format `model` is trained on: "completion" for babbage-002 and davinci-002 (and
    models fine-tuned from them), "chat" for every other model."""
    return "completion" if base_model(model) in COMPLETION_MODELS else "chat"


def check_example(example: Any, fmt: Format) -> None:
    """Nothing if the example is one the API trains on, else `Refused` with the first problem."""
    if not isinstance(example, dict):
        raise Refused("", f"must be a JSON object (a training example), not {json_type(example)}")
    if fmt == "completion":
        _check_completion(example)
    else:
        _check_chat(example)


def _check_completion(example: dict[str, Any]) -> None:
    if "messages" in example and "prompt" not in example:
        raise Refused(
            "messages",
            f"{' and '.join(COMPLETION_MODELS)} are trained on prompt/completion examples, not chat messages",
        )
    refuse_unknown(example, COMPLETION_KEYS, "", "a completion training example")
    for key in COMPLETION_KEYS:
        if key not in example:
            raise Refused(key, "is required")
        if not isinstance(example[key], str):
            raise Refused(key, f"must be a string, not {json_type(example[key])}")
    if not example["completion"]:
        raise Refused("completion", "must not be empty: it is what the model learns to write")


def _check_chat(example: dict[str, Any]) -> None:
    messages = example.get("messages")
    if "messages" not in example:
        hint = (
            f"; prompt/completion examples are only for {' and '.join(COMPLETION_MODELS)}"
            if "prompt" in example
            else ""
        )
        raise Refused("messages", f"is required: a list of chat messages{hint}")
    if not isinstance(messages, list):
        raise Refused("messages", f"must be a list of messages, not {json_type(messages)}")
    if not messages:
        raise Refused("messages", "must hold at least one message")
    refuse_unknown(example, CHAT_KEYS, "", "a chat training example")
    for index, message in enumerate(messages):
        _check_message(message, f"messages[{index}]")
    if not any(message["role"] == "assistant" for message in messages):
        raise Refused(
            "messages", "needs at least one assistant message: it is what the model learns to write"
        )
    if "tools" in example:
        check_tools(example["tools"])
    if "functions" in example:
        check_functions(example["functions"])
    if "parallel_tool_calls" in example and not isinstance(example["parallel_tool_calls"], bool):
        raise Refused(
            "parallel_tool_calls", f"must be true or false, not {json_type(example['parallel_tool_calls'])}"
        )


def _check_message(message: Any, path: str) -> None:
    if not isinstance(message, dict):
        raise Refused(path, f"must be an object (a message), not {json_type(message)}")
    if "role" not in message:
        raise Refused(f"{path}.role", "is required")
    role = message["role"]
    if role not in ROLES:
        raise Refused(f"{path}.role", f"must be one of {', '.join(ROLES)} (got {shown(role)})")
    if "weight" in message and role != "assistant":
        raise Refused(f"{path}.weight", "is only allowed on assistant messages")
    refuse_unknown(message, MESSAGE_KEYS[role], path, f"a {role} message")
    if "name" in message:
        require_string(message["name"], f"{path}.name", empty=False)
    elif role == "function":
        raise Refused(f"{path}.name", "is required on a function message")
    if role == "assistant":
        _check_assistant(message, path)
    elif role == "function":
        if message.get("content") is not None:
            require_string(message["content"], f"{path}.content")
    else:
        _check_content(message, role, path)
    if role == "tool":
        if "tool_call_id" not in message:
            raise Refused(f"{path}.tool_call_id", "is required on a tool message")
        require_string(message["tool_call_id"], f"{path}.tool_call_id", empty=False)


def _check_assistant(message: dict[str, Any], path: str) -> None:
    weight = message.get("weight")
    if "weight" in message and (
        isinstance(weight, bool) or not isinstance(weight, int | float) or weight not in (0, 1)
    ):
        raise Refused(f"{path}.weight", f"must be 0 or 1 (got {shown(message['weight'])})")
    if message.get("refusal") is not None:
        require_string(message["refusal"], f"{path}.refusal")
    calls = "tool_calls" in message or message.get("function_call") is not None
    if "tool_calls" in message:
        check_tool_calls(message["tool_calls"], f"{path}.tool_calls")
    if message.get("function_call") is not None:
        check_call(message["function_call"], f"{path}.function_call")
    if not calls or message.get("content") is not None:
        _check_content(message, "assistant", path, allow_empty=calls)


def _check_content(message: dict[str, Any], role: str, path: str, allow_empty: bool = False) -> None:
    content = message.get("content")
    where = f"{path}.content"
    if content is None:
        unless = " unless the message has tool_calls or function_call" if role == "assistant" else ""
        got = " (got null)" if "content" in message else ""
        raise Refused(where, f"is required{unless}{got}")
    if isinstance(content, str):
        if not content and not allow_empty:
            raise Refused(where, "must not be empty")
        return
    if not isinstance(content, list):
        raise Refused(where, f"must be a string or a list of content parts, not {json_type(content)}")
    if not content:
        raise Refused(where, "must hold at least one content part")
    allowed = PART_TYPES[role]
    for index, part in enumerate(content):
        _check_part(part, allowed, f"{where}[{index}]", role)
    if role == "assistant" and len(content) > 1 and any(part["type"] == "refusal" for part in content):
        raise Refused(where, "may hold text parts or exactly one refusal part, not both")


def _check_part(part: Any, allowed: tuple[str, ...], path: str, role: str) -> None:
    if not isinstance(part, dict):
        raise Refused(path, f"must be an object (a content part), not {json_type(part)}")
    kind = part.get("type")
    if kind not in allowed:
        raise Refused(
            f"{path}.type",
            f"must be {' or '.join(map(repr, allowed))} in a {role} message (got {shown(kind)})",
        )
    refuse_unknown(part, PART_KEYS[kind], path, f"a {kind} part")
    if kind == "image_url":
        _check_image(part.get("image_url"), f"{path}.image_url")
    elif kind not in part:
        raise Refused(f"{path}.{kind}", "is required")
    else:
        require_string(part[kind], f"{path}.{kind}")


def _check_image(image: Any, path: str) -> None:
    if not isinstance(image, dict):
        raise Refused(path, f"must be an object with a url, not {json_type(image)}")
    refuse_unknown(image, ("url", "detail"), path, "an image_url")
    if "url" not in image:
        raise Refused(f"{path}.url", "is required")
    require_string(image["url"], f"{path}.url", empty=False)
    if "detail" in image and image["detail"] not in IMAGE_DETAILS:
        raise Refused(
            f"{path}.detail", f"must be one of {', '.join(IMAGE_DETAILS)} (got {shown(image['detail'])})"
        )
