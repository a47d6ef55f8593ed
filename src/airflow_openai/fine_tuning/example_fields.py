"""The building blocks of the training-example checks: a refusal with its JSON path, and the
checks and wordings every part of an example shares."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any


class Refused(Exception):
    """The first problem of an example: where (a JSON path, empty for the whole line) and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


def refuse_unknown(value: Mapping[str, Any], known: tuple[str, ...], path: str, what: str) -> None:
    for key in value:
        if key not in known:
            raise Refused(join(path, key), f"is not a field of {what} (known: {', '.join(known)})")


def require_string(value: Any, path: str, empty: bool = True) -> None:
    if not isinstance(value, str):
        raise Refused(path, f"must be a string, not {json_type(value)}")
    if not empty and not value:
        raise Refused(path, "must not be empty")


def join(path: str, key: Any) -> str:
    """`path.key`, or `path["odd key"]` for keys that are not plain names."""
    key = str(key)
    name = key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]{0,63}", key) else f"[{shown(key)}]"
    if name.startswith("["):
        return f"{path}{name}"
    return f"{path}.{name}" if path else name


def json_type(value: Any) -> str:
    """The JSON type of a value, as a DAG author would name it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def shown(value: Any) -> str:
    """A value as JSON, cut short: the reason quotes what was found."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."
