"""Which functions a run calls, and with what arguments: decided from the run alone, so always the same.

Which: with `tool_choice` `"none"`, or no function tools, none (the run answers). A named
function is called alone. Otherwise (`"auto"`, `"required"`) the functions whose names
appear in the thread's last user message (case aside), in the order of the run's tools;
when none does, the first function. With `parallel_tool_calls` false, only the first of
those. Built-in tools (`file_search`, `code_interpreter`) are never called.

Arguments: a minimal instance of the function's `parameters` schema: the required
properties only (more when `minProperties` asks), each the first of its `enum`, its
`const`, the first branch of an `anyOf`/`oneOf`, `allOf` merged, `$ref` followed; numbers
at zero or the nearest bound (and a multiple of `multipleOf`), `minItems` items, `false`
for booleans. A string is the last user message (its first 100 characters) or a fixed value
for a known `format` (`date`, `email`, `uri`...), cut and padded to its length bounds; when
that does not match its `pattern`, a string built from the pattern (see `regex_example`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from airflow_openai.emulator.core import regex_example

MAX_DEPTH = 24
FORMATS = {
    "date": "2025-01-01",
    "date-time": "2025-01-01T00:00:00Z",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "iri": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "hostname": "example.com",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "duration": "P1D",
}


def functions(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [tool["function"] for tool in tools if tool["type"] == "function"]


def chosen(
    tools: list[dict[str, Any]], tool_choice: Any, parallel: bool, last_user: str
) -> list[dict[str, Any]]:
    """The function definitions the run calls now (see the module's docstring); empty to answer instead."""
    offered = functions(tools)
    if tool_choice == "none" or not offered:
        return []
    if isinstance(tool_choice, dict):
        if tool_choice["type"] != "function":
            return []
        name = tool_choice["function"]["name"]
        return [function for function in offered if function["name"] == name][:1]
    said = last_user.lower()
    named = [function for function in offered if function["name"].lower() in said] or offered[:1]
    return named if parallel else named[:1]


def calls(functions: list[dict[str, Any]], last_user: str, new_id: Callable[[], str]) -> list[dict[str, Any]]:
    """The run's tool calls, as `required_action.submit_tool_outputs.tool_calls` shows them."""
    return [
        {
            "id": new_id(),
            "type": "function",
            "function": {"name": function["name"], "arguments": json.dumps(arguments(function, last_user))},
        }
        for function in functions
    ]


def arguments(function: dict[str, Any], text: str) -> Any:
    schema = function.get("parameters") or {"type": "object", "properties": {}}
    return instance(schema, schema, text.strip()[:100] or "example")


def instance(schema: Any, root: dict[str, Any], text: str, depth: int = 0, index: int = 0) -> Any:
    """A minimal value valid for `schema` (see the module's docstring); `index` varies array items."""
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return None
    if "$ref" in schema:
        return instance(_resolve(schema["$ref"], root), root, text, depth + 1, index)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        enum = schema["enum"]
        return enum[index % len(enum)]
    if schema.get("allOf"):
        return instance(_merged(schema, root), root, text, depth + 1, index)
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return instance(schema[key][0], root, text, depth + 1, index)
    kind = _kind(schema)
    if kind == "object":
        return _object(schema, root, text, depth)
    if kind == "array":
        count = int(schema.get("minItems", 0))
        items = schema.get("items", {})
        return [instance(items, root, text, depth + 1, position) for position in range(count)]
    if kind in ("integer", "number"):
        return _number(schema, kind == "integer", index)
    if kind == "boolean":
        return index % 2 == 1
    if kind == "null":
        return None
    return _string(schema, text, index)


def _resolve(ref: str, root: dict[str, Any]) -> Any:
    target: Any = root
    for part in ref.removeprefix("#").strip("/").split("/"):
        if not part:
            continue
        target = target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, dict) else None
    return target


def _merged(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """`allOf`'s branches as one schema: properties joined, required lists joined, the rest the last one's."""
    merged: dict[str, Any] = {key: value for key, value in schema.items() if key != "allOf"}
    for branch in schema["allOf"]:
        part = _resolve(branch["$ref"], root) if isinstance(branch, dict) and "$ref" in branch else branch
        if not isinstance(part, dict):
            continue
        properties = {**merged.get("properties", {}), **part.get("properties", {})}
        required = [*merged.get("required", []), *part.get("required", [])]
        merged.update(part)
        merged.update(properties=properties, required=list(dict.fromkeys(required)))
    return merged


def _kind(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((item for item in kind if item != "null"), "null")
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "required" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _object(schema: dict[str, Any], root: dict[str, Any], text: str, depth: int) -> dict[str, Any]:
    properties: dict[str, Any] = schema.get("properties", {})
    names = [name for name in schema.get("required", []) if isinstance(name, str)]
    for name in properties:
        if len(names) >= schema.get("minProperties", 0):
            break
        if name not in names:
            names.append(name)
    return {name: instance(properties.get(name, {}), root, text, depth + 1) for name in names}


def _number(schema: dict[str, Any], integer: bool, index: int) -> int | float:
    step = 1 if integer else 0.5
    low = schema.get("minimum")
    if "exclusiveMinimum" in schema and isinstance(schema["exclusiveMinimum"], int | float):
        low = schema["exclusiveMinimum"] + step
    high = schema.get("maximum")
    if "exclusiveMaximum" in schema and isinstance(schema["exclusiveMaximum"], int | float):
        high = schema["exclusiveMaximum"] - step
    value: float = (0 if low is None else max(0, low)) + index
    if high is not None and value > high:
        value = high if low is None else (low + high) / 2
    multiple = schema.get("multipleOf")
    if isinstance(multiple, int | float) and multiple > 0:
        value = math.ceil(value / multiple) * multiple
    return math.ceil(value) if integer else float(value)


def _string(schema: dict[str, Any], text: str, index: int) -> str:
    value = FORMATS.get(schema.get("format", ""), text)
    if index and value == text:
        value = f"{value} {index}"
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    if high is not None:
        value = value[: int(high)]
    value += "x" * max(0, low - len(value))
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and not _matches(pattern, value):
        value = regex_example.example(pattern) or value
    return value


def _matches(pattern: str, candidate: str) -> bool:
    try:
        return re.search(pattern, candidate) is not None
    except re.error:
        return False
