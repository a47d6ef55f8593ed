"""The OpenAI spec the project is built against, found beside the checkout, and a tolerant reader of its examples.

The spec's examples are written by hand: some use JavaScript object syntax, trailing
commas, a missing comma or `...` placeholders. `read_example` repairs only those
slips, so a real mismatch with our models still fails.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

SPEC_ENV = "OPENAI_OPENAPI_SPEC"
DEFAULT_SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "openapi" / "openapi-2.3.0.yaml"


def spec_path() -> Path | None:
    candidate = Path(os.environ.get(SPEC_ENV) or DEFAULT_SPEC)
    return candidate if candidate.is_file() else None


@cache
def load_spec() -> dict[str, Any]:
    path = spec_path()
    if path is None:
        pytest.skip(f"the OpenAI spec is not at {DEFAULT_SPEC} and {SPEC_ENV} is not set")
    import yaml

    return yaml.safe_load(path.read_text())


_UNQUOTED_KEY = re.compile(r"^(\s*)([A-Za-z_][\w.]*)(\s*):", re.MULTILINE)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_ENDS_VALUE = re.compile(r'(["\d\]}]|true|false|null)\s*$')
_STARTS_MEMBER = re.compile(r'^\s*["{\[]')
_PLACEHOLDER = re.compile(r"^\s*(\.\.\.|…|\{ *\.\.\. *\},?)\s*$")
_PYTHON_NONE = re.compile(r":\s*None\b")


def read_example(text: str) -> Any:
    """Parse a hand-written JSON example, repairing the spec's known typographic slips."""
    lines = [
        line
        for line in text.splitlines()
        if not _PLACEHOLDER.match(line) and not line.strip().startswith("//")
    ]
    repaired: list[str] = []
    for line in lines:
        if repaired and _ENDS_VALUE.search(repaired[-1]) and _STARTS_MEMBER.match(line):
            previous = repaired[-1].rstrip()
            if not previous.endswith(("{", "[", ",")):
                repaired[-1] = previous + ","
        repaired.append(line)
    body = _UNQUOTED_KEY.sub(r'\1"\2"\3:', "\n".join(repaired))
    body = _PYTHON_NONE.sub(": null", body)
    body = _TRAILING_COMMA.sub(r"\1", body)
    return json.loads(body)


def sse_objects(text: str) -> list[tuple[str, Any]]:
    """(event, data) pairs of a server-sent-events example, skipping `[DONE]`."""
    events: list[tuple[str, Any]] = []
    event = ""
    for line in text.splitlines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data = line.split(":", 1)[1].strip()
            if data and data != "[DONE]":
                # raw_decode: some of the spec's data lines carry a stray closing brace after the object
                events.append((event, json.JSONDecoder().raw_decode(data)[0]))
    return events


def path_examples(spec: dict[str, Any], path: str, method: str) -> list[str]:
    examples = spec["paths"][path][method].get("x-oaiMeta", {}).get("examples")
    if examples is None:
        return []
    entries = examples if isinstance(examples, list) else [examples]
    texts = []
    for entry in entries:
        response = entry.get("response")
        if isinstance(response, dict):  # the organization endpoints nest it under `content`
            response = response.get("content")
        if isinstance(response, str):
            texts.append(response)
    return texts


def response_schema(spec: dict[str, Any], path: str, method: str) -> str | None:
    content = spec["paths"][path][method]["responses"].get("200", {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema → JSON Schema: `nullable` becomes a null alternative, refs point into `$defs`."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {
        key: _json_schema(value)
        for key, value in node.items()
        if not key.startswith("x-") and key not in ("nullable", "example", "discriminator")
    }
    if "$ref" in converted:
        converted["$ref"] = converted["$ref"].replace("#/components/schemas/", "#/$defs/")
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def response_validator(spec: dict[str, Any], schema_name: str) -> Any:
    """A jsonschema validator for the named component schema."""
    return schema_validator(spec, {"$ref": f"#/components/schemas/{schema_name}"})


def schema_validator(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A jsonschema validator for an OpenAPI schema of `spec` (a `$ref` or one written inline)."""
    import jsonschema

    definitions = {name: _json_schema(item) for name, item in spec["components"]["schemas"].items()}
    return jsonschema.Draft202012Validator({**_json_schema(schema), "$defs": definitions})


_PARAMETER = re.compile(r"\{[^}]+\}")


def spec_operation(spec: dict[str, Any], method: str, concrete_path: str) -> tuple[str, dict[str, Any]]:
    """The spec path template and operation matching a concrete request path (with or without `/v1`): a path
    the spec names literally (`/threads/runs`) before a template it also matches (`/threads/{thread_id}`)."""
    path = concrete_path.removeprefix("/v1")
    matches = [
        template
        for template, item in spec["paths"].items()
        if method.lower() in item and re.fullmatch(_PARAMETER.sub("[^/]+", template), path)
    ]
    if not matches:
        raise KeyError(f"{method} {concrete_path} is not in the spec")
    template = min(matches, key=lambda candidate: len(_PARAMETER.findall(candidate)))
    return template, spec["paths"][template][method.lower()]
