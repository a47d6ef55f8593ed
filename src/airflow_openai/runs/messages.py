"""A run's messages both ways: what the DAG gives, made into the API's messages and checked before
anything is created, and what the assistant answered, as plain text."""

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
    return messages


def message_text(message: Any) -> str:
    """A message's text parts, joined."""
    parts = []
    for part in getattr(message, "content", None) or []:
        data = part if isinstance(part, Mapping) else part.model_dump()
        if data.get("type") == "text":
            text = data.get("text")
            parts.append(text.get("value", "") if isinstance(text, Mapping) else str(text))
    return "\n".join(parts)
