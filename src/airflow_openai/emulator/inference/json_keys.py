"""JSON mode's answer (`response_format: json_object`): an object with the keys the prompt asks for.

The service's model writes what the messages ask; so does the built-in one, as far as a
prompt can be read without a model. In order:

1. a JSON object written in the messages (an example of the answer wanted): the same keys,
   each value of the example's type (strings taken from the last user message);
2. key names the messages give: quoted or in backticks (`"sentiment"`, `'score'`), or listed
   after "keys", "fields" or "properties" (`with the fields title, summary and tags`); a
   name that reads as a number (`score`, `count`, `age`...) gets one, `is_...`/`has_...` a boolean;
3. neither: `{"answer": ..., "length": ...}`, the answer and the length of the question.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

_QUOTED = re.compile(r"[`\"']([A-Za-z_][A-Za-z0-9_]{0,63})[`\"']")
_LISTED = re.compile(
    r"\b(?:keys?|fields?|properties|attributes)\b\s*(?:named|called)?\s*:?\s*"
    r"([A-Za-z_]\w*(?:\s*(?:,|\band\b|\bor\b)\s*[A-Za-z_]\w*)*)",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"\s*(?:,|\band\b|\bor\b)\s*")
_NOT_KEYS = frozenset(
    [
        "json",
        "a",
        "an",
        "the",
        "for",
        "with",
        "that",
        "which",
        "of",
        "in",
        "to",
        "is",
        "are",
        "each",
        "both",
        "following",
        "these",
        "those",
        "two",
        "three",
        "object",
        "answer",
        "response",
        "only",
    ]
)
_NUMERIC = re.compile(r"(score|count|number|age|total|amount|price|year|quantity|rating|confidence)$", re.I)
_BOOLEAN = re.compile(r"^(is|has|can|should)_", re.I)


def json_object(asked: str, question: str, rng: random.Random) -> dict[str, Any]:
    """The object answering `question`, shaped by what `asked` (the messages' text) names."""
    example = _example(asked)
    if example:
        return {key: _like(value, question, rng) for key, value in example.items()}
    names = _names(asked)
    if names:
        return {name: _for_name(name, question, rng) for name in names}
    return {"answer": f"Emulated answer to: {question[:200]}", "length": len(question)}


def _example(text: str) -> dict[str, Any] | None:
    """The first JSON object with keys written in `text`."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict) and value:
            return value
    return None


def _names(text: str) -> list[str]:
    found: list[str] = []
    for match in _LISTED.finditer(text):
        found += [name for name in _SEPARATOR.split(match.group(1)) if name]
    found += _QUOTED.findall(text)
    return list(dict.fromkeys(name for name in found if name.lower() not in _NOT_KEYS))


def _words(question: str, rng: random.Random) -> str:
    words = question.split() or ["emulated"]
    return " ".join(words[: 2 + rng.randrange(4)])


def _for_name(name: str, question: str, rng: random.Random) -> Any:
    if _BOOLEAN.search(name):
        return rng.random() < 0.5
    if _NUMERIC.search(name):
        return rng.randint(0, 10)
    return _words(question, rng)


def _like(example: Any, question: str, rng: random.Random) -> Any:
    """A value of the example's type."""
    if isinstance(example, bool):
        return rng.random() < 0.5
    if isinstance(example, int):
        return rng.randint(0, 10)
    if isinstance(example, float):
        return round(rng.random(), 2)
    if isinstance(example, dict):
        return {key: _like(value, question, rng) for key, value in example.items()}
    if isinstance(example, list):
        return [_like(example[0], question, rng)] if example else []
    if example is None:
        return None
    return _words(question, rng)
