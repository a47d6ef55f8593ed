"""Strict mode's rules, checked before anything is sent: only supported keywords, every object
closed and every property required, the nesting and size limits, and a schema valid as a schema.

A refusal is an `InvalidResponseFormat` naming the JSON path and the rule, so the DAG author can
fix the schema without a round trip to the API (which would refuse it only once the batch's
input is uploaded, or the run created).
"""

from __future__ import annotations

import re
from typing import Any, cast

from airflow_openai.structured.errors import InvalidResponseFormat
from airflow_openai.structured.schema_walk import children, path_part, resolve

# Strict mode's limits (OpenAI structured outputs guide, "Supported schemas"): object nesting,
# object properties in all, enum values in all, total length of property/definition names and
# enum/const values, and the total length of one string enum of more than 250 values.
MAX_NESTING = 10
MAX_PROPERTIES = 5000
MAX_ENUM_VALUES = 1000
MAX_STRING_LENGTH = 120_000
LARGE_ENUM = 250
MAX_LARGE_ENUM_LENGTH = 15_000

TYPES = ("string", "number", "integer", "boolean", "object", "array", "null")
KEYWORDS = frozenset(
    {
        # any schema
        "type", "enum", "const", "anyOf", "$ref", "$defs", "definitions", "description", "title",
        # objects
        "properties", "required", "additionalProperties",
        # arrays
        "items", "minItems", "maxItems",
        # strings
        "pattern", "format",
        # numbers
        "multipleOf", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    }
)  # fmt: skip
FORMATS = frozenset({"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"})


def check_strict(schema: Any, at: str = "$") -> None:
    """Raises `InvalidResponseFormat` naming the first place `schema` breaks a strict-mode rule."""
    if not isinstance(schema, dict):
        raise InvalidResponseFormat(at, "a schema must be a JSON object")
    if schema.get("type") != "object":
        raise InvalidResponseFormat(
            at, "the root schema must be `type: object` (not anyOf, not another type)"
        )
    totals = {"properties": 0, "enum": 0, "chars": 0}
    _check(schema, schema, at, 0, totals)
    import jsonschema

    # The keywords are supported; their values must make a valid schema too (answers are checked with it).
    # Draft 7's meta-schema covers every keyword strict mode supports and is checked several times
    # faster than 2020-12's; it reads each `$defs` as a `definitions`.
    meta = jsonschema.Draft7Validator(jsonschema.Draft7Validator.META_SCHEMA)
    error = jsonschema.exceptions.best_match(meta.iter_errors(_defs_as_definitions(schema)))
    if error is not None:
        where, node = "", cast(Any, schema)
        for part in error.absolute_path:
            if isinstance(part, int):
                where += f"[{part}]"
                node = node[part] if isinstance(node, list) and part < len(node) else None
                continue
            if part == "definitions" and isinstance(node, dict) and "definitions" not in node:
                part = "$defs"
            where += f".{path_part(part)}"
            node = node.get(part) if isinstance(node, dict) else None
        raise InvalidResponseFormat(f"{at}{where}", f"not a valid JSON schema: {error.message}")


def _check(node: Any, root: dict[str, Any], at: str, depth: int, totals: dict[str, int]) -> None:
    if not isinstance(node, dict):
        raise InvalidResponseFormat(at, f"a schema must be a JSON object, not {type(node).__name__}")
    for key in node:
        if key not in KEYWORDS:
            raise InvalidResponseFormat(f"{at}.{key}", f"keyword {key!r} is not supported in strict mode")
    ref = node.get("$ref")
    if ref is not None:
        if not isinstance(ref, str) or resolve(root, ref) is None:
            raise InvalidResponseFormat(
                f"{at}.$ref", f"{ref!r} does not point into this schema (#/$defs/...)"
            )
        extra = sorted(key for key in node if key != "$ref")
        if extra:
            raise InvalidResponseFormat(
                at,
                f"strict mode allows no keys beside $ref (found {', '.join(extra)}): inline the definition",
            )
        return
    kinds = _types(node, at)
    if "object" in kinds:
        depth += 1
        if depth > MAX_NESTING:
            raise InvalidResponseFormat(at, f"objects nest {depth} deep; strict mode allows {MAX_NESTING}")
        if isinstance(node.get("additionalProperties"), dict):
            raise InvalidResponseFormat(
                f"{at}.additionalProperties",
                "free-form maps (dict[str, ...]) are not supported in strict mode; use a model with named fields",
            )
        if node.get("additionalProperties") is not False:
            raise InvalidResponseFormat(
                f"{at}.additionalProperties", "every object must set additionalProperties: false"
            )
        properties = node.get("properties", {})
        if not isinstance(properties, dict):
            raise InvalidResponseFormat(f"{at}.properties", "must be an object of property schemas")
        required = node.get("required", [])
        if not isinstance(required, list):
            raise InvalidResponseFormat(f"{at}.required", "must be a list of property names")
        missing = [name for name in properties if name not in required]
        if missing:
            raise InvalidResponseFormat(
                f"{at}.required",
                f"every property must be required; missing {', '.join(map(repr, missing))} "
                '(make an optional field nullable instead: anyOf with {"type": "null"})',
            )
        unknown = [name for name in required if name not in properties]
        if unknown:
            raise InvalidResponseFormat(
                f"{at}.required", f"names no property: {', '.join(map(repr, unknown))}"
            )
        totals["properties"] += len(properties)
        totals["chars"] += sum(len(name) for name in properties)
        if totals["properties"] > MAX_PROPERTIES:
            raise InvalidResponseFormat(at, f"more than {MAX_PROPERTIES} object properties in all")
    if "pattern" in node:
        try:
            re.compile(node["pattern"])
        except (re.error, TypeError) as exc:
            raise InvalidResponseFormat(f"{at}.pattern", f"not a valid regular expression: {exc}") from None
    if "format" in node and node["format"] not in FORMATS:
        raise InvalidResponseFormat(
            f"{at}.format", f"{node['format']!r} is not a supported format ({', '.join(sorted(FORMATS))})"
        )
    if "enum" in node:
        values = node["enum"]
        if not isinstance(values, list) or not values:
            raise InvalidResponseFormat(f"{at}.enum", "must be a non-empty list")
        totals["enum"] += len(values)
        if totals["enum"] > MAX_ENUM_VALUES:
            raise InvalidResponseFormat(f"{at}.enum", f"more than {MAX_ENUM_VALUES} enum values in all")
        length = sum(len(value) for value in values if isinstance(value, str))
        if len(values) > LARGE_ENUM and length > MAX_LARGE_ENUM_LENGTH:
            raise InvalidResponseFormat(
                f"{at}.enum",
                f"an enum of more than {LARGE_ENUM} values may total {MAX_LARGE_ENUM_LENGTH} characters; "
                f"this one has {length}",
            )
        totals["chars"] += length
    if isinstance(node.get("const"), str):
        totals["chars"] += len(node["const"])
    for key in ("$defs", "definitions"):
        if key in node:
            if not isinstance(node[key], dict):
                raise InvalidResponseFormat(f"{at}.{key}", "must be an object of named schemas")
            totals["chars"] += sum(len(name) for name in node[key])
    if totals["chars"] > MAX_STRING_LENGTH:
        raise InvalidResponseFormat(
            at,
            f"property names, definition names and enum/const values exceed {MAX_STRING_LENGTH} characters in all",
        )
    if "anyOf" in node and (not isinstance(node["anyOf"], list) or not node["anyOf"]):
        raise InvalidResponseFormat(f"{at}.anyOf", "must be a non-empty list of schemas")
    if "items" in node and not isinstance(node["items"], dict):
        raise InvalidResponseFormat(f"{at}.items", "must be one schema (tuples are not supported)")
    for where, sub in children(node, at):
        inner = depth
        if where.startswith((f"{at}.$defs", f"{at}.definitions")):
            inner = 0  # a definition's depth counts where it is used
        _check(sub, root, where, inner, totals)


def _defs_as_definitions(node: Any) -> Any:
    if isinstance(node, list):
        return [_defs_as_definitions(value) for value in node]
    if not isinstance(node, dict):
        return node
    view = {key: _defs_as_definitions(value) for key, value in node.items()}
    if isinstance(view.get("$defs"), dict) and "definitions" not in view:
        view["definitions"] = view.pop("$defs")
    return view


def _types(node: dict[str, Any], at: str) -> set[str]:
    kind = node.get("type")
    if kind is None:
        if isinstance(node.get("properties"), dict):
            return {"object"}
        return set()
    kinds = kind if isinstance(kind, list) else [kind]
    for value in kinds:
        if value not in TYPES:
            raise InvalidResponseFormat(
                f"{at}.type", f"{value!r} is not a JSON schema type ({', '.join(TYPES)})"
            )
    return set(kinds)
