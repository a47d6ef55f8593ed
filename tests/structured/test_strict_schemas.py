"""A hand-written schema or response format strict mode would refuse is refused before anything is
sent, naming the JSON path and the rule; what a schema leaves out is filled in, what it says is judged."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_openai.structured import InvalidResponseFormat, InvalidStructuredOutput, StructuredOutput
from airflow_openai.structured.strict_check import MAX_NESTING, check_strict


def _schema(spec: Any) -> dict[str, Any]:
    """The schema that would be sent for `spec`, checked as strict mode checks it."""
    structured = StructuredOutput.of(spec)
    assert structured is not None
    fmt = structured.response_format()
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    check_strict(fmt["json_schema"]["schema"])
    return fmt["json_schema"]["schema"]


def _refused(spec: Any) -> InvalidResponseFormat:
    with pytest.raises(InvalidResponseFormat) as caught:
        StructuredOutput.of(spec)
    error = caught.value
    assert isinstance(error, ValueError) and isinstance(error, InvalidStructuredOutput)
    assert str(error) == f"response_format is refused at {error.path}: {error.rule}"
    return error


ADDRESS = {
    "type": "object",
    "properties": {"zip": {"type": "string"}, "city": {"type": "string"}},
    "required": ["zip", "city"],
    "additionalProperties": False,
}


def _person(address: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"name": {"type": "string"}, "address": address},
        "required": ["name", "address"],
        "additionalProperties": False,
    }


def test_a_strict_schema_is_sent_as_written():
    schema = _person(ADDRESS)
    assert _schema(schema) == schema
    full = {"type": "json_schema", "json_schema": {"name": "person", "schema": schema, "strict": True}}
    structured = StructuredOutput.of(full)
    assert structured is not None and structured.response_format() == full


def test_what_a_schema_leaves_out_is_filled_in_but_what_it_says_is_judged():
    schema = _schema({"type": "object", "properties": {"a": {"type": "object", "properties": {}}}})
    assert schema["required"] == ["a"] and schema["additionalProperties"] is False
    assert schema["properties"]["a"]["additionalProperties"] is False


@pytest.mark.parametrize(
    "spec, path, rule",
    [
        ({"type": "nonsense"}, "$.type", "'nonsense' is not a response format type"),
        ({"type": "json_schema"}, "$.json_schema", "must be an object"),
        ({"type": "json_schema", "json_schema": {"name": "x"}}, "$.json_schema.schema", "must be a JSON"),
        (
            {"type": "json_schema", "json_schema": {"name": "a b", "schema": ADDRESS}},
            "$.json_schema.name",
            "must be 1-64 letters",
        ),
        (
            {"type": "json_schema", "json_schema": {"name": "x", "schema": ADDRESS, "strict": False}},
            "$.json_schema.strict",
            "must be true",
        ),
        ({"type": "json_object", "schema": ADDRESS}, "$.schema", "unknown key"),
        ({"type": "text", "json_schema": {}}, "$.json_schema", "unknown key"),
        ("{}", "$", "not str"),
        (
            _person({**ADDRESS, "required": ["city"]}),
            "$.properties.address.required",
            "every property must be required; missing 'zip'",
        ),
        (
            _person({**ADDRESS, "required": ["zip", "city", "state"]}),
            "$.properties.address.required",
            "names no property: 'state'",
        ),
        (
            _person({**ADDRESS, "additionalProperties": True}),
            "$.properties.address.additionalProperties",
            "every object must set additionalProperties: false",
        ),
        (
            _person({**ADDRESS, "properties": {"zip": {"type": "string", "maxLength": 5}, "city": {}}}),
            "$.properties.address.properties.zip.maxLength",
            "keyword 'maxLength' is not supported",
        ),
        (
            _person({**ADDRESS, "properties": {"zip": {"type": "string", "default": "0"}, "city": {}}}),
            "$.properties.address.properties.zip.default",
            "keyword 'default' is not supported",
        ),
        (
            _person({**ADDRESS, "properties": {"zip": {"allOf": [{"type": "string"}]}, "city": {}}}),
            "$.properties.address.properties.zip.allOf",
            "keyword 'allOf' is not supported",
        ),
        (
            _person({**ADDRESS, "properties": {"zip": {"type": "str"}, "city": {}}}),
            "$.properties.address.properties.zip.type",
            "'str' is not a JSON schema type",
        ),
        (
            _person({**ADDRESS, "properties": {"zip": {"type": "string", "format": "zip"}, "city": {}}}),
            "$.properties.address.properties.zip.format",
            "'zip' is not a supported format",
        ),
        (
            _person({**ADDRESS, "properties": {"zip": {"enum": []}, "city": {}}}),
            "$.properties.address.properties.zip.enum",
            "must be a non-empty list",
        ),
        (
            {**_person({"$ref": "#/$defs/Address", "description": "home"}), "$defs": {"Address": ADDRESS}},
            "$.properties.address",
            "no keys beside $ref (found description)",
        ),
        (
            _person({"$ref": "#/$defs/Missing"}),
            "$.properties.address.$ref",
            "does not point into this schema",
        ),
        (
            _person({"type": "array", "items": [{"type": "string"}]}),
            "$.properties.address.items",
            "tuples are not supported",
        ),
        (
            _person({**ADDRESS, "properties": {"zip": {"type": "string", "pattern": "[0-9"}, "city": {}}}),
            "$.properties.address.properties.zip.pattern",
            "not a valid regular expression",
        ),
        (
            _person({**ADDRESS, "properties": {"zip": {"type": "number", "minimum": "0"}, "city": {}}}),
            "$.properties.address.properties.zip.minimum",
            "not a valid JSON schema: '0' is not of type 'number'",
        ),
        (
            {
                **_person({"$ref": "#/$defs/Address"}),
                "$defs": {
                    "Address": {
                        **ADDRESS,
                        "properties": {"zip": {"type": "integer", "maximum": "9"}, "city": {}},
                    }
                },
            },
            "$.$defs.Address.properties.zip.maximum",
            "not a valid JSON schema: '9' is not of type 'number'",
        ),
        ({"anyOf": [ADDRESS]}, "$.type", "not a response format type"),
        (
            {"type": "json_schema", "json_schema": {"name": "x", "schema": {"anyOf": [ADDRESS]}}},
            "$.json_schema.schema",
            "the root schema must be `type: object`",
        ),
    ],
)
def test_refusals_name_the_path_and_the_rule(spec, path, rule):
    error = _refused(spec)
    assert error.path == path
    assert rule in error.rule


def _nested(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {
            "type": "object",
            "properties": {"x": schema},
            "required": ["x"],
            "additionalProperties": False,
        }
    return schema


def test_nesting_is_limited():
    _schema(_nested(MAX_NESTING))
    error = _refused(_nested(MAX_NESTING + 1))
    assert error.path == "$" + ".properties.x" * MAX_NESTING
    assert f"nest {MAX_NESTING + 1} deep; strict mode allows {MAX_NESTING}" in error.rule


def test_the_number_of_properties_is_limited():
    def wide(n: int) -> dict[str, Any]:
        names = [f"p{i}" for i in range(n)]
        return {
            "type": "object",
            "properties": {name: {"type": "string"} for name in names},
            "required": names,
            "additionalProperties": False,
        }

    _schema(wide(5000))
    assert "more than 5000 object properties" in _refused(wide(5001)).rule


def test_enum_values_are_limited_in_number_and_length():
    def with_enum(values: list[str]) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {"e": {"type": "string", "enum": values}},
            "required": ["e"],
            "additionalProperties": False,
        }

    _schema(with_enum([f"v{i}" for i in range(1000)]))
    error = _refused(with_enum([f"v{i}" for i in range(1001)]))
    assert error.path == "$.properties.e.enum" and "more than 1000 enum values" in error.rule
    _schema(with_enum([f"{i:03d}" + "x" * 56 for i in range(250)]))  # 250 values: no per-enum length cap
    error = _refused(with_enum([f"{i:03d}" + "x" * 57 for i in range(251)]))
    assert "more than 250 values may total 15000 characters" in error.rule


def test_json_object_and_text_formats():
    assert StructuredOutput.of({"type": "text"}) is None
    structured = StructuredOutput.of({"type": "json_object"})
    assert structured is not None and structured.response_format() == {"type": "json_object"}
    assert structured.parse('{"a": 1}') == {"a": 1}
    with pytest.raises(ValueError, match="not a JSON object"):
        structured.parse("[1]")
