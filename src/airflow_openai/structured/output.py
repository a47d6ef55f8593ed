"""Structured outputs: a pydantic model or a JSON schema becomes a strict `json_schema`
response format, and every answer is checked against it.

The format is right by construction, before anything is uploaded: a pydantic model's schema is
converted to what strict mode accepts (`strict_form`), and a hand-written schema is checked
against strict mode's rules (`strict_check`); a refusal is an `InvalidResponseFormat` naming the
JSON path and the rule. Batches use it for every request line and every result row; nothing
here is about batches.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from airflow_openai.structured.errors import InvalidResponseFormat
from airflow_openai.structured.strict_check import check_strict
from airflow_openai.structured.strict_form import closed, strict_schema

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""What the API accepts as a `json_schema.name`."""


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
            closed_schema = closed(given)
            check_strict(closed_schema, "$.json_schema.schema")
            return cls(name, closed_schema)
        if kind == "object":
            schema = closed(spec)
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
