"""A value that a JSON schema accepts, made from the request's words: structured outputs and tool arguments.

`json_schema` answers and the arguments of tool calls are made here, so both validate against
the schema given (the subset structured outputs allow, and the common keywords beyond it):
every property (so every required one), `$ref` followed, `const`, the first of an `enum`
(drawn by the request's seed), the first branch of `anyOf`/`oneOf`, `allOf` merged, numbers
within `minimum`/`maximum` (exclusive ones too) and on a `multipleOf`, `minItems` items,
strings cut and padded to their length bounds, or a fixed value for a known `format`, or
one built from their `pattern` when they do not match it (`core.regex_example`). Tool
arguments follow `pattern`; structured outputs do not: the strict mode of the spec's time
does not support it, and a client's own check of an answer (the batch operator's) must
still meet answers that break a schema. `check_schema` refuses what is not a JSON schema at all.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from typing import Any

from airflow_openai.emulator.core import regex_example

MAX_DEPTH = 12
FORMATS = {
    "date": "2025-01-01",
    "date-time": "2025-01-01T00:00:00Z",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "hostname": "example.com",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "duration": "P1D",
}


def check_schema(schema: dict[str, Any]) -> None:
    """A ValueError when `schema` is not a JSON schema (checked with `jsonschema` when it is installed)."""
    try:
        from jsonschema import exceptions, validators
    except ImportError:  # pragma: no cover - the emulator runs without it too
        return
    try:
        validators.validator_for(schema).check_schema(schema)
    except exceptions.SchemaError as exc:
        path = "/".join(str(part) for part in exc.path)
        raise ValueError(f"{exc.message} (at '{path or '/'}')") from None


def instance_of(
    schema: dict[str, Any], root: dict[str, Any], rng: random.Random, text: str, *, patterns: bool = True
) -> Any:
    """A value that validates against `schema`, its strings taken from `text` (see the module's docstring);
    with `patterns` false a string's `pattern` is not followed."""
    return _Maker(root, rng, text, patterns).make(schema, 0)


@dataclass
class _Maker:
    root: dict[str, Any]
    rng: random.Random
    text: str
    patterns: bool

    def make(self, schema: Any, depth: int) -> Any:
        if depth > MAX_DEPTH or not isinstance(schema, dict):
            return None
        if "$ref" in schema:
            target: Any = self.root
            for part in schema["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return self.make(target, depth + 1)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][self.rng.randrange(len(schema["enum"]))]
        if schema.get("allOf"):
            return self.make(_merged(schema["allOf"]), depth + 1)
        for key in ("anyOf", "oneOf"):
            if schema.get(key):
                return self.make(schema[key][0], depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object" or (kind is None and "properties" in schema):
            return {name: self.make(sub, depth + 1) for name, sub in schema.get("properties", {}).items()}
        if kind == "array":
            count = max(schema.get("minItems", 1), 1)
            count = min(count, schema.get("maxItems", count))
            return [self.make(schema.get("items", {}), depth + 1) for _ in range(count)]
        if kind in ("integer", "number"):
            return _number(schema, self.rng, integer=kind == "integer")
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return _string(schema, self.rng, self.text, self.patterns)


def _merged(branches: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for branch in branches:
        for key, value in branch.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = [*merged.get("required", []), *value]
            else:
                merged.setdefault(key, value)
    return merged


def _number(schema: dict[str, Any], rng: random.Random, *, integer: bool) -> int | float:
    nudge = 1 if integer else 1e-6
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is None and "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + nudge
    if high is None and "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"] - nudge
    if low is None:
        low = 0 if high is None or high >= 0 else high - 100
    if high is None:
        high = low + (100 if integer else 1.0)
    if integer:
        value: int | float = rng.randint(math.ceil(low), max(math.ceil(low), math.floor(high)))
    else:
        value = min(max(round(rng.uniform(low, high), 4), low), high)
    step = schema.get("multipleOf")
    if step:
        value = math.ceil(value / step) * step
        if value > high:
            value -= step
        value = int(value) if integer else value
    return value


def _string(schema: dict[str, Any], rng: random.Random, text: str, patterns: bool) -> str:
    fixed = FORMATS.get(schema.get("format", ""))
    if fixed is not None:
        return fixed
    words = text.split() or ["emulated"]
    value = " ".join(words[: 3 + rng.randrange(5)])
    longest = schema.get("maxLength", len(value))
    value = value[:longest]
    value += "x" * max(0, schema.get("minLength", 0) - len(value))
    pattern = schema.get("pattern")
    if patterns and isinstance(pattern, str) and not _matches(pattern, value):
        value = regex_example.example(pattern) or value
    return value


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return True  # a pattern Python cannot read: the value stays as it is
