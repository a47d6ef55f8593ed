"""Structured outputs: a pydantic model or a JSON schema becomes a strict `json_schema`
response format on every request, and every answer is checked against it.

The format is right by construction, before anything is uploaded: a pydantic model's schema is
converted to what strict mode accepts (every object closed, every property required, no `default`,
no keys beside a `$ref`), and a hand-written schema is checked against strict mode's rules (only
supported keywords, every property required, `additionalProperties: false`, the nesting and size
limits); a refusal is an `InvalidResponseFormat` naming the JSON path and the rule.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from airflow_openai.batch.requests import InvalidBatchInput

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
NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class InvalidResponseFormat(InvalidBatchInput):
    """`response_format` cannot be sent in strict mode; the message names the JSON path and the rule."""

    def __init__(self, path: str, rule: str) -> None:
        self.path = path
        self.rule = rule
        super().__init__(None, f"response_format is refused at {path}: {rule}")


@dataclass(frozen=True)
class StructuredOutput:
    """The response format to send, and how to read an answer back."""

    name: str
    schema: dict[str, Any]
    model: Any = None
    kind: str = "json_schema"

    @classmethod
    def of(cls, spec: Any) -> StructuredOutput | None:
        """A pydantic model class, a JSON schema of an object, or a full response format
        (`{"type": "json_schema", "json_schema": {...}}`, `{"type": "json_object"}`, `{"type": "text"}`).

        Raises `InvalidResponseFormat` for anything strict mode would refuse.
        """
        if spec is None:
            return None
        if isinstance(spec, type) and hasattr(spec, "model_json_schema"):
            try:
                raw = spec.model_json_schema()
            except Exception as exc:
                raise InvalidResponseFormat(
                    "$", f"{spec.__name__} has no JSON schema: {_first_line(exc)}"
                ) from None
            schema = strict_schema(raw)
            check_strict(schema)
            return cls(_name(spec.__name__), schema, spec)
        if not isinstance(spec, dict):
            raise InvalidResponseFormat(
                "$",
                "must be a pydantic model class, a JSON schema dict or a response format dict, "
                f"not {type(spec).__name__}",
            )
        kind = spec.get("type")
        if kind == "text":
            _no_extra_keys(spec, {"type"})
            return None  # the API's default: plain text answers
        if kind == "json_object":
            _no_extra_keys(spec, {"type"})
            return cls("json_object", {}, kind="json_object")
        if kind == "json_schema":
            _no_extra_keys(spec, {"type", "json_schema"})
            inner = spec.get("json_schema")
            if not isinstance(inner, dict):
                raise InvalidResponseFormat("$.json_schema", "must be an object with `name` and `schema`")
            _no_extra_keys(inner, {"name", "schema", "strict", "description"}, "$.json_schema")
            name = inner.get("name", "response")
            if not isinstance(name, str) or not NAME.match(name):
                raise InvalidResponseFormat(
                    "$.json_schema.name", f"must be 1-64 letters, digits, '_' or '-'; got {name!r}"
                )
            if inner.get("strict", True) is not True:
                raise InvalidResponseFormat(
                    "$.json_schema.strict", "must be true (answers are checked against the schema)"
                )
            given = inner.get("schema")
            if not isinstance(given, dict):
                raise InvalidResponseFormat("$.json_schema.schema", "must be a JSON schema object")
            closed = _closed(given, "$.json_schema.schema")
            check_strict(closed, "$.json_schema.schema")
            return cls(name, closed)
        if kind == "object":
            schema = _closed(spec, "$")
            check_strict(schema)
            return cls(_name(str(spec.get("title") or "response")), schema)
        raise InvalidResponseFormat(
            "$.type",
            f"{kind!r} is not a response format type (json_schema, json_object or text), "
            "nor is this a JSON schema of an object (type: object)",
        )

    def response_format(self) -> dict[str, Any]:
        if self.kind == "json_object":
            return {"type": "json_object"}
        return {
            "type": "json_schema",
            "json_schema": {"name": self.name, "schema": self.schema, "strict": True},
        }

    def parse(self, content: str | None) -> Any:
        """The validated answer as plain data; raises ValueError saying why it does not fit."""
        if content is None:
            raise ValueError("the answer has no content (refused or truncated)")
        if self.model is not None:
            try:
                return self.model.model_validate_json(content).model_dump(mode="json")
            except Exception as exc:
                raise ValueError(_first_line(exc)) from None
        import jsonschema

        try:
            value = json.loads(content)
        except ValueError as exc:
            raise ValueError(f"the answer is not JSON: {exc}") from None
        if self.kind == "json_object":
            if not isinstance(value, dict):
                raise ValueError(f"the answer is not a JSON object but {type(value).__name__}")
            return value
        error = jsonschema.exceptions.best_match(
            jsonschema.Draft202012Validator(self.schema).iter_errors(value)
        )
        if error is not None:
            raise ValueError(
                f"{error.message} at {'/'.join(map(str, error.absolute_path)) or 'the top level'}"
            )
        return value


# -- a pydantic model's schema, made strict ------------------------------------------------------------


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of a generated (pydantic) schema in the form strict mode accepts.

    Every object is closed (`additionalProperties: false`, even for `extra="allow"`) and lists all
    its properties in `required`; `default` is dropped (an `Optional` stays nullable through its
    `anyOf` with `null`); a one-entry `allOf` is merged into its schema; a `$ref` with keys beside it
    is replaced by what it points at, the keys beside it taking priority. The walk follows the schema's
    structure, so a field named `properties`, `required` or `type` is only ever a property name.
    """
    root = copy.deepcopy(schema)
    return _strict(root, root, ())


def _strict(node: Any, root: dict[str, Any], seen: tuple[str, ...]) -> Any:
    if not isinstance(node, dict):
        return node
    for key in ("$defs", "definitions"):
        if isinstance(node.get(key), dict):
            node[key] = {name: _strict(sub, root, seen) for name, sub in node[key].items()}
    ref = node.get("$ref")
    if isinstance(ref, str) and len(node) > 1 and ref not in seen:
        target = _resolve(root, ref)
        if isinstance(target, dict):
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            inlined = {key: value for key, value in target.items() if key not in ("$defs", "definitions")}
            merged = {**copy.deepcopy(inlined), **siblings}
            return _strict(merged, root, (*seen, ref))
    if node.get("type") == "object" or isinstance(node.get("properties"), dict):
        if not isinstance(node.get("additionalProperties"), dict):  # a dict[str, X]: refused by the check
            node["additionalProperties"] = False
        properties = node.get("properties")
        if isinstance(properties, dict):
            node["properties"] = {name: _strict(sub, root, seen) for name, sub in properties.items()}
            node["required"] = list(properties)
        else:
            node["properties"], node["required"] = {}, []
    if isinstance(node.get("items"), dict):
        node["items"] = _strict(node["items"], root, seen)
    if isinstance(node.get("prefixItems"), list):
        node["prefixItems"] = [_strict(sub, root, seen) for sub in node["prefixItems"]]
    if isinstance(node.get("anyOf"), list):
        node["anyOf"] = [_strict(sub, root, seen) for sub in node["anyOf"]]
    if isinstance(node.get("oneOf"), list):  # pydantic's discriminated unions: anyOf means the same here
        node["anyOf"] = [_strict(sub, root, seen) for sub in node.pop("oneOf")]
        node.pop("discriminator", None)
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
        node.pop("allOf")
        return _strict({**all_of[0], **node}, root, seen)
    node.pop("default", None)
    return node


def _resolve(root: dict[str, Any], ref: str) -> Any:
    if ref == "#":
        return root
    if not ref.startswith("#/"):
        return None
    target: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, dict) or part not in target:
            return None
        target = target[part]
    return target


# -- a hand-written schema, checked -------------------------------------------------------------------


def _closed(schema: dict[str, Any], at: str) -> dict[str, Any]:
    """A hand-written schema with what it leaves out filled in: an object without
    `additionalProperties` is closed, one without `required` requires every property.
    What it does say is kept, for `check_strict` to judge."""
    root = copy.deepcopy(schema)

    def fill(node: Any) -> None:
        if not isinstance(node, dict):
            return
        if node.get("type") == "object" or (isinstance(node.get("properties"), dict) and "type" not in node):
            node.setdefault("additionalProperties", False)
            if isinstance(node.get("properties"), dict):
                node.setdefault("required", list(node["properties"]))
        for _, sub in _children(node, "$"):
            fill(sub)

    fill(root)
    return root


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
            where += f".{_key(part)}"
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
        if not isinstance(ref, str) or _resolve(root, ref) is None:
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
    for where, sub in _children(node, at):
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


def _children(node: dict[str, Any], at: str) -> Iterator[tuple[str, Any]]:
    """The sub-schemas of a schema, each with its JSON path (never a property *name* as a schema)."""
    properties = node.get("properties")
    if isinstance(properties, dict):
        for name, sub in properties.items():
            yield f"{at}.properties.{_key(name)}", sub
    if isinstance(node.get("items"), dict):
        yield f"{at}.items", node["items"]
    if isinstance(node.get("anyOf"), list):
        for index, sub in enumerate(node["anyOf"]):
            yield f"{at}.anyOf[{index}]", sub
    for key in ("$defs", "definitions"):
        if isinstance(node.get(key), dict):
            for name, sub in node[key].items():
                yield f"{at}.{key}.{_key(name)}", sub


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_$-]+", name) else json.dumps(name)


def _no_extra_keys(spec: dict[str, Any], allowed: set[str], at: str = "$") -> None:
    extra = sorted(set(spec) - allowed)
    if extra:
        raise InvalidResponseFormat(
            f"{at}.{extra[0]}", f"unknown key (allowed: {', '.join(sorted(allowed))})"
        )


def _name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64] or "response"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return " ".join(line.strip() for line in text[:3])
