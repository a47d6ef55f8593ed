"""A pydantic model becomes a schema strict mode accepts, by construction: the cases the official
SDK's strict-schema helper is tested on, and the ones users trip over; what strict mode cannot
express is refused naming the JSON path and the rule."""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from airflow_openai.structured import InvalidResponseFormat, StructuredOutput
from airflow_openai.structured.strict_check import check_strict


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
