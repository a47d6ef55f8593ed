"""A short string matching a regular expression, so a generated string (a tool call's argument, a
structured output's field) can satisfy its `pattern`: shared by assistants' tool calls and inference.

It walks the pattern as Python's own parser reads it: a literal is itself, a class its
first member (`\\d` is `0`, `\\w` is `a`, `[A-Z]` is `A`), a repeat its minimum count (once
for `+`), a group its content, an alternation its first branch, anchors nothing. Patterns
beyond that (lookarounds, backreferences) give None, and the caller keeps its own value.
"""

from __future__ import annotations

import importlib
import re
import sys
from typing import Any

_parser: Any = importlib.import_module("re._parser" if sys.version_info >= (3, 11) else "sre_parse")
_CATEGORIES = {"CATEGORY_DIGIT": "0", "CATEGORY_WORD": "a", "CATEGORY_SPACE": " "}
_NOT_CATEGORIES = {"CATEGORY_NOT_DIGIT": "a", "CATEGORY_NOT_WORD": "-", "CATEGORY_NOT_SPACE": "a"}


def example(pattern: str) -> str | None:
    """A string `re.search(pattern, ...)` finds, or None when the pattern is beyond this walker."""
    try:
        built = _walk(_parser.parse(pattern))
    except (re.error, _Unsupported, RecursionError):
        return None
    return built if re.search(pattern, built) else None


class _Unsupported(Exception):
    pass


def _walk(items: Any) -> str:
    return "".join(_item(str(op), value) for op, value in items)


def _item(op: str, value: Any) -> str:
    if op == "LITERAL":
        return chr(value)
    if op == "NOT_LITERAL":
        return "a" if chr(value) != "a" else "b"
    if op == "ANY":
        return "a"
    if op == "AT":
        return ""
    if op == "IN":
        return _member(value)
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, _high, inner = value
        return _walk(inner) * low
    if op == "SUBPATTERN":
        return _walk(value[-1])
    if op == "ATOMIC_GROUP":
        return _walk(value)
    if op == "BRANCH":
        return _walk(value[1][0])
    if op == "CATEGORY":
        return _category(str(value))
    raise _Unsupported(op)


def _member(members: Any) -> str:
    """The first character a class admits."""
    if members and str(members[0][0]) == "NEGATE":
        excluded = {chr(value) for op, value in members[1:] if str(op) == "LITERAL"}
        return next(char for char in "a0A_-x" if char not in excluded)
    op, value = members[0]
    op = str(op)
    if op == "LITERAL":
        return chr(value)
    if op == "RANGE":
        return chr(value[0])
    if op == "CATEGORY":
        return _category(str(value))
    raise _Unsupported(op)


def _category(name: str) -> str:
    if name in _CATEGORIES:
        return _CATEGORIES[name]
    if name in _NOT_CATEGORIES:
        return _NOT_CATEGORIES[name]
    raise _Unsupported(name)
