"""Structured outputs: a pydantic model or a JSON schema becomes a strict `json_schema`
response format on every request, and every answer is checked against it."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StructuredOutput:
    """The response format to send, and how to read an answer back."""

    name: str
    schema: dict[str, Any]
    model: Any = None

    @classmethod
    def of(cls, spec: Any) -> StructuredOutput | None:
        """Accepts a pydantic model class, a JSON schema, or a full `{"type": "json_schema", ...}` format."""
        if spec is None:
            return None
        if isinstance(spec, type) and hasattr(spec, "model_json_schema"):
            return cls(_name(spec.__name__), strict_schema(spec.model_json_schema()), spec)
        if isinstance(spec, dict) and spec.get("type") == "json_schema":
            inner = spec.get("json_schema") or {}
            return cls(_name(inner.get("name", "response")), strict_schema(inner.get("schema") or {}))
        if isinstance(spec, dict):
            return cls(_name(spec.get("title", "response")), strict_schema(spec))
        raise TypeError(
            f"response_format must be a pydantic model class or a JSON schema dict, not {type(spec).__name__}"
        )

    def response_format(self) -> dict[str, Any]:
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
        error = jsonschema.exceptions.best_match(
            jsonschema.Draft202012Validator(self.schema).iter_errors(value)
        )
        if error is not None:
            raise ValueError(
                f"{error.message} at {'/'.join(map(str, error.absolute_path)) or 'the top level'}"
            )
        return value


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Strict mode wants every object closed and every property required."""
    result = copy.deepcopy(schema)

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" or "properties" in node:
                node.setdefault("additionalProperties", False)
                node["required"] = list(node.get("properties", {}))
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(result)
    return result


def _name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64] or "response"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return " ".join(line.strip() for line in text[:3])
