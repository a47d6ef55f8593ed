"""Structured outputs are right by construction: a pydantic model becomes a schema strict mode accepts
(the cases the official SDK's strict-schema helper is tested on, and the ones users trip over), and a
hand-written schema or response format strict mode would refuse is refused before anything is sent,
naming the JSON path and the rule."""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from airflow_openai.batch.requests import InvalidBatchInput
from airflow_openai.batch.structured import (
    MAX_NESTING,
    InvalidResponseFormat,
    StructuredOutput,
    check_strict,
)


def _schema(spec: Any) -> dict[str, Any]:
    structured = StructuredOutput.of(spec)
    assert structured is not None
    fmt = structured.response_format()
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    check_strict(fmt["json_schema"]["schema"])  # what is sent passes the strict-mode check
    return fmt["json_schema"]["schema"]


def _objects(node: Any) -> list[dict[str, Any]]:
    """Every object schema in `node` (by structure: property names are never taken for schemas)."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for key in ("items",):
            found += _objects(node.get(key))
        for key in ("properties", "$defs"):
            for sub in (node.get(key) or {}).values():
                found += _objects(sub)
        for sub in node.get("anyOf") or []:
            found += _objects(sub)
    return found


def _no_key(node: Any, key: str) -> bool:
    if isinstance(node, dict):
        return all(k != key or k == "properties" for k in node) and all(
            _no_key(v, key) for k, v in node.items()
        )
    if isinstance(node, list):
        return all(_no_key(v, key) for v in node)
    return True


def _strict_everywhere(schema: dict[str, Any]) -> None:
    objects = _objects(schema)
    assert objects
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert obj["required"] == list(obj["properties"])


# -- conversion: the SDK helper's cases ------------------------------------------------------------


class Table(str, Enum):
    orders = "orders"
    customers = "customers"


class Column(str, Enum):
    id = "id"
    status = "status"


class Operator(str, Enum):
    eq = "="
    gt = ">"


class DynamicValue(BaseModel):
    column_name: str


class Condition(BaseModel):
    column: str
    operator: Operator
    value: str | int | DynamicValue


class Query(BaseModel):
    name: str | None = None
    table_name: Table
    columns: list[Column]
    conditions: list[Condition]
    order_by: Literal["asc", "desc"]


def test_most_types_nested_models_unions_enums_lists_of_models_and_optional():
    schema = _schema(Query)
    _strict_everywhere(schema)
    assert schema["required"] == ["name", "table_name", "columns", "conditions", "order_by"]
    # Optional: nullable through anyOf with null, and its `default: None` is gone
    assert schema["properties"]["name"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
    assert _no_key(schema, "default")
    condition = schema["$defs"]["Condition"]
    assert condition["required"] == ["column", "operator", "value"]
    assert {"$ref": "#/$defs/DynamicValue"} in condition["properties"]["value"]["anyOf"]
    assert schema["$defs"]["DynamicValue"]["additionalProperties"] is False
    assert schema["properties"]["conditions"]["items"] == {"$ref": "#/$defs/Condition"}
    assert schema["properties"]["order_by"]["enum"] == ["asc", "desc"]


class Color(Enum):
    RED = "red"
    BLUE = "blue"
    GREEN = "green"


class ColorDetection(BaseModel):
    color: Color = Field(description="The detected color")
    hex_color_code: str = Field(description="The hex color code")


def test_an_enum_with_a_description_beside_its_ref_is_inlined():
    schema = _schema(ColorDetection)
    color = schema["properties"]["color"]
    assert "$ref" not in color
    assert color["enum"] == ["red", "blue", "green"] and color["description"] == "The detected color"
    assert schema["required"] == ["color", "hex_color_code"]


class Star(BaseModel):
    name: str = Field(description="The name of the star.")


class Galaxy(BaseModel):
    name: str = Field(description="The name of the galaxy.")
    largest_star: Star = Field(description="The largest star in the galaxy.")


class Universe(BaseModel):
    name: str = Field(description="The name of the universe.")
    galaxy: Galaxy = Field(description="A galaxy in the universe.")


def test_nested_refs_with_siblings_are_expanded_all_the_way_down_and_made_strict():
    schema = _schema(Universe)
    galaxy = schema["properties"]["galaxy"]
    assert "$ref" not in galaxy and galaxy["description"] == "A galaxy in the universe."
    star = galaxy["properties"]["largest_star"]
    assert "$ref" not in star and star["description"] == "The largest star in the galaxy."
    assert star["properties"]["name"]["description"] == "The name of the star."
    for obj in (schema, galaxy, star, schema["$defs"]["Galaxy"], schema["$defs"]["Star"]):
        assert obj["additionalProperties"] is False and obj["required"] == list(obj["properties"])
    assert "$defs" not in galaxy, "an inlined definition does not carry the root's $defs along"


class ExtraAllowed(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str


def test_extra_allow_is_still_closed():
    assert _schema(ExtraAllowed)["additionalProperties"] is False


# -- conversion: what users trip over ---------------------------------------------------------------


class Keywords(BaseModel):
    properties: str
    required: list[str]
    type: int = 3
    title: str | None = None


def test_fields_named_like_schema_keywords_are_just_properties():
    schema = _schema(Keywords)
    assert schema["required"] == ["properties", "required", "type", "title"]
    assert set(schema["properties"]) == {"properties", "required", "type", "title"}
    assert schema["properties"]["properties"] == {"title": "Properties", "type": "string"}
    assert "additionalProperties" not in schema["properties"], "the property map is not an object schema"
    assert _no_key(schema, "default")


class Address(BaseModel):
    street: str
    zip: str = "00000"


class Person(BaseModel):
    name: str
    home: Address
    work: Address | None = None
    previous: list[Address] = []
    tags: list[str] = Field(default_factory=list)


def test_defaults_are_dropped_and_optional_models_are_nullable():
    schema = _schema(Person)
    _strict_everywhere(schema)
    assert _no_key(schema, "default")
    assert schema["properties"]["work"]["anyOf"] == [{"$ref": "#/$defs/Address"}, {"type": "null"}]
    assert schema["$defs"]["Address"]["required"] == ["street", "zip"]
    assert schema["properties"]["previous"]["items"] == {"$ref": "#/$defs/Address"}


class Node(BaseModel):
    value: int
    children: list[Node]


def test_a_recursive_model_keeps_its_definitions():
    schema = _schema(Node)
    assert schema["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    assert schema["$defs"]["Node"]["additionalProperties"] is False


def test_answers_are_parsed_by_the_model():
    structured = StructuredOutput.of(Person)
    assert structured is not None
    answer = '{"name": "a", "home": {"street": "s", "zip": "1"}, "work": null, "previous": [], "tags": []}'
    assert structured.parse(answer)["home"] == {"street": "s", "zip": "1"}


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


class Pet(BaseModel):
    pet: Cat | Dog = Field(discriminator="kind")
    also: Literal["only"]


def test_a_discriminated_union_becomes_an_any_of_and_literals_stay():
    schema = _schema(Pet)
    assert "oneOf" not in str(schema) and "discriminator" not in str(schema)
    assert schema["properties"]["pet"]["anyOf"] == [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}]
    assert schema["$defs"]["Cat"]["properties"]["kind"]["const"] == "cat"
    assert schema["properties"]["also"]["const"] == "only"
    structured = StructuredOutput.of(Pet)
    assert structured is not None
    assert structured.parse('{"pet": {"kind": "dog", "good": true}, "also": "only"}')["pet"]["good"] is True


class Scores(BaseModel):
    scores: dict[str, int]


def test_a_model_strict_mode_cannot_express_is_refused_with_the_path():
    with pytest.raises(
        InvalidResponseFormat, match=r"\$\.properties\.scores\.additionalProperties: free-form"
    ):
        StructuredOutput.of(Scores)


class Constrained(BaseModel):
    code: str = Field(min_length=4)


def test_a_model_using_an_unsupported_keyword_is_refused_with_the_path():
    with pytest.raises(InvalidResponseFormat, match=r"\$\.properties\.code\.minLength: keyword 'minLength'"):
        StructuredOutput.of(Constrained)


# -- hand-written schemas and response formats ------------------------------------------------------


def _refused(spec: Any) -> InvalidResponseFormat:
    with pytest.raises(InvalidResponseFormat) as caught:
        StructuredOutput.of(spec)
    error = caught.value
    assert isinstance(error, ValueError) and isinstance(error, InvalidBatchInput)
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


# -- the operator: refused before anything is sent --------------------------------------------------


@pytest.mark.parametrize(
    "response_format, message",
    [
        (
            {"type": "nonsense"},
            "response_format is refused at $.type: 'nonsense' is not a response format type",
        ),
        (Scores, "response_format is refused at $.properties.scores.additionalProperties: free-form maps"),
    ],
)
def test_the_operator_fails_on_a_bad_response_format_before_any_upload(
    emu, emu_hook, tmp_path, response_format, message
):
    from airflow.sdk.exceptions import AirflowFailException

    from airflow_openai.operators.batch import OpenAIBatchOperator
    from tests.support.task_instance import TaskInstanceStandIn

    op = OpenAIBatchOperator(
        task_id="batch",
        prompts=["What is 2+2?"],
        model="gpt-4o-mini",
        response_format=response_format,
        poll_interval=0.2,
        output_path=str(tmp_path / "o.jsonl"),
    )
    with pytest.raises(AirflowFailException) as caught:
        op.execute({"ti": TaskInstanceStandIn("batch")})

    assert message in str(caught.value)
    assert "nothing was submitted" in str(caught.value)
    assert emu.requests("/v1/files", method="POST") == 0
    assert emu.requests("/v1/uploads*", method="POST") == 0
    assert emu.requests("/v1/batches", method="POST") == 0
    assert emu.requests("*", method="POST") == 0, "nothing at all was sent to create anything"
    assert list(emu_hook.list_batches()) == []
    assert list(emu_hook.list_files()) == []
