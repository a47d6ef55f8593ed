"""A run's messages both ways: what the DAG gives, made into the API's messages and checked before
anything is created (their shape, and that their text can be sent: UTF-8 cannot carry a lone
surrogate), and what the assistant answered, as plain text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class InvalidMessages(ValueError):
    """The messages cannot be sent; the message says which and why, and that nothing was created."""


def as_messages(value: Any) -> list[dict[str, Any]]:
    """Messages as the API takes them, from a string, strings, or role/content dicts."""
    items = [value] if isinstance(value, str | Mapping) else list(value or [])
    if not items:
        raise InvalidMessages(
            "messages is empty: give the assistant something to answer; nothing was created"
        )
    messages = []
    for n, item in enumerate(items):
        if isinstance(item, str):
            messages.append({"role": "user", "content": item})
        elif isinstance(item, Mapping) and item.get("role") in ("user", "assistant") and "content" in item:
            messages.append(dict(item))
        else:
            raise InvalidMessages(
                f"messages[{n}] must be a string or a {{'role': 'user'|'assistant', 'content': ...}} dict, "
                f"not {item!r:.80}; nothing was created"
            )
    fault = unsendable(messages, "messages")
    if fault is not None:
        raise InvalidMessages(f"{fault}; nothing was created")
    return messages


def unsendable(value: Any, path: str) -> str | None:
    """Where `value` (plain JSON data) holds text no request can carry, and why; None when it can
    all be sent. Checked before anything is created: the first request refused would otherwise
    leave behind what the ones before it made."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return (
                f"{path} holds a lone surrogate (U+{ord(value[exc.start]):04X} at character "
                f"{exc.start + 1}), which is not UTF-8 text"
            )
        return None
    if isinstance(value, Mapping):
        items: Any = ((f"{path}[{key!r}]", key, item) for key, item in value.items())
    elif isinstance(value, list | tuple):
        items = ((f"{path}[{n}]", None, item) for n, item in enumerate(value))
    else:
        return None
    for where, key, item in items:
        fault = unsendable(key, f"a key of {path}") if isinstance(key, str) else None
        fault = fault or unsendable(item, where)
        if fault is not None:
            return fault
    return None


def message_text(message: Any) -> str:
    """A message's text parts, joined."""
    parts = []
    for part in getattr(message, "content", None) or []:
        data = part if isinstance(part, Mapping) else part.model_dump()
        if data.get("type") == "text":
            text = data.get("text")
            parts.append(text.get("value", "") if isinstance(text, Mapping) else str(text))
    return "\n".join(parts)
