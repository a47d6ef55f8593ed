"""A fine-tuning job's training or validation file, checked line by line as the service checks it.

Each non-empty line is one example: for chat models a JSON object with a `messages` list
(roles system, user, assistant, tool, function; at least one assistant message), for
`babbage-002` and `davinci-002` an object with `prompt` and `completion`. The first problem
found fails the job, and its message names the line. A file read whole gives the examples
the fine-tuned model later answers from (see `tuned_answers`), and their token counts.

Tokens are estimated without a tokenizer, by the rule of OpenAI's data-preparation cookbook:
about 4 bytes of UTF-8 per token for text, plus 3 tokens per chat message, 1 per `name` and
3 that prime the reply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_openai.emulator.fine_tuning.fine_tuning_plan import COMPLETION

CHAT_ROLES = ("system", "user", "assistant", "tool", "function")
CHAT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
COMPLETION_KEYS = frozenset({"prompt", "completion"})
BYTES_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 3
REPLY_PRIMING = 3


class InvalidFile(Exception):
    """What is wrong with the file, naming the line when one line is at fault."""


@dataclass(frozen=True)
class Example:
    prompt: str
    """What a request is matched against: the last user message before the answer, or the prompt."""
    answer: dict[str, Any]
    """The answer the example teaches: `{"content": ...}`, with `tool_calls` when it has them."""
    tokens: int

    def to_dict(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "answer": self.answer}


def read(path: Path, fmt: str, model: str, minimum: int) -> list[Example]:
    """The examples of the file at `path`, in `fmt` for `model`; `InvalidFile` at the first problem."""
    examples: list[Example] = []
    with path.open("rb") as source:
        for number, raw in enumerate(source, start=1):
            if raw.strip():
                examples.append(_example(raw, number, fmt, model))
    if len(examples) < minimum:
        raise InvalidFile(f"The file has {len(examples)} example(s); at least {minimum} are required.")
    return examples


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _example(raw: bytes, number: int, fmt: str, model: str) -> Example:
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_not_json)
    except ValueError:  # UnicodeDecodeError is one
        raise InvalidFile(f"Line {number} is not valid JSON.") from None
    if not isinstance(value, dict):
        raise InvalidFile(f"Line {number} is not a JSON object.")
    return _completion(value, number, model) if fmt == COMPLETION else _chat(value, number, model)


def _chat(example: dict[str, Any], number: int, model: str) -> Example:
    if "messages" not in example:
        if COMPLETION_KEYS & example.keys():
            raise InvalidFile(
                f"Line {number} has 'prompt' and 'completion', the format of babbage-002 and davinci-002; "
                f"{model} is trained on chat examples, each a 'messages' list."
            )
        raise InvalidFile(f"Line {number} has no 'messages' list.")
    unknown = sorted(example.keys() - CHAT_KEYS)
    if unknown:
        raise InvalidFile(f"Line {number} has an unrecognized key '{unknown[0]}'.")
    messages = example["messages"]
    if not isinstance(messages, list) or not messages:
        raise InvalidFile(f"Line {number}: 'messages' must be a non-empty list.")
    for index, message in enumerate(messages, start=1):
        _check_message(message, f"Line {number}, message {index}")
    answers = [index for index, message in enumerate(messages) if message["role"] == "assistant"]
    if not answers:
        raise InvalidFile(f"Line {number} has no assistant message; each example needs at least one.")
    last = answers[-1]
    prompt = next((_text(m.get("content")) for m in reversed(messages[:last]) if m["role"] == "user"), "")
    reply = messages[last]
    answer: dict[str, Any] = {"content": None if reply.get("content") is None else _text(reply["content"])}
    if reply.get("tool_calls"):
        answer["tool_calls"] = reply["tool_calls"]
    return Example(prompt, answer, _chat_tokens(example))


MESSAGE_KEYS: dict[str, tuple[str, ...]] = {
    "system": ("role", "content", "name"),
    "user": ("role", "content", "name"),
    "assistant": ("role", "content", "name", "refusal", "tool_calls", "function_call", "weight"),
    "tool": ("role", "content", "tool_call_id", "name"),
    "function": ("role", "content", "name"),
}
"""The keys each role's message may carry in a training example; the service refuses others."""


def _check_message(message: Any, where: str) -> None:
    if not isinstance(message, dict):
        raise InvalidFile(f"{where} is not an object.")
    role = message.get("role")
    if role not in CHAT_ROLES:
        raise InvalidFile(f"{where} has an unrecognized role {role!r}; expected one of {list(CHAT_ROLES)}.")
    content = message.get("content")
    calls = message.get("tool_calls") or message.get("function_call")
    if content is None and not (role == "assistant" and calls):
        raise InvalidFile(f"{where} has no 'content'.")
    if content is not None and not isinstance(content, str | list):
        raise InvalidFile(f"{where}: 'content' must be a string or a list of parts.")
    if "tool_calls" in message and not (
        isinstance(calls, list) and all(isinstance(call, dict) for call in message["tool_calls"])
    ):
        raise InvalidFile(f"{where}: 'tool_calls' must be a list of objects.")
    if "weight" in message and role != "assistant":
        raise InvalidFile(f"{where}: 'weight' is only allowed on assistant messages.")
    unknown = sorted(set(message) - set(MESSAGE_KEYS[role]))
    if unknown:
        raise InvalidFile(f"{where} has unrecognized keys {unknown} for a {role} message.")
    weight = message.get("weight", 0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight not in (0, 1):
        raise InvalidFile(f"{where}: 'weight' must be 0 or 1.")


def _completion(example: dict[str, Any], number: int, model: str) -> Example:
    if "messages" in example:
        raise InvalidFile(
            f"Line {number} has 'messages', the chat format; {model} is trained on examples "
            "with 'prompt' and 'completion'."
        )
    unknown = sorted(example.keys() - COMPLETION_KEYS)
    if unknown:
        raise InvalidFile(f"Line {number} has an unrecognized key '{unknown[0]}'.")
    for key in ("prompt", "completion"):
        if not isinstance(example.get(key), str):
            raise InvalidFile(f"Line {number}: '{key}' must be a string.")
    tokens = _text_tokens(example["prompt"]) + _text_tokens(example["completion"])
    return Example(example["prompt"], {"content": example["completion"]}, tokens)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _text_tokens(text: str) -> int:
    return -(-len(text.encode("utf-8", "surrogatepass")) // BYTES_PER_TOKEN)


def _chat_tokens(example: dict[str, Any]) -> int:
    total = REPLY_PRIMING
    for message in example["messages"]:
        total += TOKENS_PER_MESSAGE
        for key, value in message.items():
            if key == "weight" or value is None:
                continue
            total += _text_tokens(value if isinstance(value, str) else json.dumps(value))
            if key == "name":
                total += 1
    for key in ("tools", "functions"):
        if key in example:
            total += _text_tokens(json.dumps(example[key]))
    return total
