"""The arguments a run's tool calls carry are valid for their function's schema, minimal, and always the
same; which functions a run calls follows its tool choice and the last user message."""

from __future__ import annotations

import itertools
import json
import re

import jsonschema
import pytest

from airflow_openai.emulator.assistants import tool_calls
from airflow_openai.emulator.core import regex_example

SCHEMAS = [
    {"type": "object", "properties": {}},
    {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}},
    {
        "type": "object",
        "properties": {
            "unit": {"type": "string", "enum": ["c", "f"]},
            "kind": {"const": "exact"},
            "n": {"type": "integer", "minimum": 3, "maximum": 9},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "even": {"type": "integer", "minimum": 1, "multipleOf": 2},
            "flag": {"type": "boolean"},
            "nothing": {"type": "null"},
            "maybe": {"type": ["string", "null"], "maxLength": 3},
            "long": {"type": "string", "minLength": 150},
        },
        "required": ["unit", "kind", "n", "ratio", "even", "flag", "nothing", "maybe", "long"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 3, "uniqueItems": True},
            "levels": {
                "type": "array",
                "items": {"enum": ["low", "mid", "high"]},
                "minItems": 2,
                "uniqueItems": True,
            },
            "points": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                    "required": ["x", "y"],
                },
            },
        },
        "required": ["tags", "levels", "points"],
    },
    {
        "type": "object",
        "$defs": {
            "address": {
                "type": "object",
                "properties": {"zip": {"type": "string", "pattern": "^\\d{5}$"}},
                "required": ["zip"],
            }
        },
        "properties": {
            "home": {"$ref": "#/$defs/address"},
            "either": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "one": {"oneOf": [{"type": "string", "format": "email"}, {"type": "integer"}]},
            "both": {
                "allOf": [
                    {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                    {"properties": {"b": {"type": "integer", "minimum": 5}}, "required": ["b"]},
                ]
            },
        },
        "required": ["home", "either", "one", "both"],
    },
    {
        "type": "object",
        "properties": {
            "when": {"type": "string", "format": "date"},
            "at": {"type": "string", "format": "date-time"},
            "site": {"type": "string", "format": "uri"},
            "id": {"type": "string", "format": "uuid"},
            "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
        },
        "required": ["when", "at", "site", "id", "sku"],
        "minProperties": 5,
    },
    {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}, "minProperties": 1},
    {"properties": {"untyped": {"items": {"type": "integer"}, "minItems": 1}}, "required": ["untyped"]},
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=[f"schema{n}" for n in range(len(SCHEMAS))])
def test_arguments_are_valid_for_their_schema(schema):
    function = {"name": "f", "parameters": schema}
    arguments = tool_calls.arguments(function, "What is the weather in Paris today?")
    jsonschema.validate(arguments, schema, format_checker=jsonschema.FormatChecker())
    assert arguments == tool_calls.arguments(function, "What is the weather in Paris today?")


def test_arguments_are_minimal():
    schema = SCHEMAS[2]
    arguments = tool_calls.arguments({"name": "f", "parameters": schema}, "question")
    assert arguments["unit"] == "c" and arguments["kind"] == "exact" and arguments["n"] == 3
    assert arguments["flag"] is False and arguments["nothing"] is None and arguments["even"] == 2
    assert arguments["maybe"] == "que" and len(arguments["long"]) == 150
    optional = tool_calls.arguments({"name": "f", "parameters": SCHEMAS[1]}, "question")
    assert optional == {}
    assert tool_calls.arguments({"name": "f"}, "question") == {}
    assert tool_calls.arguments({"name": "f", "parameters": SCHEMAS[6]}, "q") == {"a": "q"}


def test_strings_come_from_the_question_or_a_format_or_a_pattern():
    schema = SCHEMAS[5]
    arguments = tool_calls.arguments({"name": "f", "parameters": schema}, "x")
    assert arguments["when"] == "2025-01-01" and arguments["site"] == "https://example.com"
    assert arguments["sku"] == "AAA-0000"
    plain = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    assert tool_calls.arguments({"name": "search", "parameters": plain}, "  find cats  ") == {
        "q": "find cats"
    }
    assert tool_calls.arguments({"name": "search", "parameters": plain}, "") == {"q": "example"}


def test_a_pattern_beyond_the_walker_keeps_the_plain_value():
    assert regex_example.example("(?=x)y") is None
    assert regex_example.example("(a)\\1") is None
    assert regex_example.example("[unclosed") is None
    for pattern in ("^[0-9]{3}$", "^(GET|POST)$", "^[^,]+,[^,]+$", "^\\w+@\\w+\\.org$", "x*?y+"):
        built = regex_example.example(pattern)
        assert built is not None and re.search(pattern, built), pattern


WEATHER = {"type": "function", "function": {"name": "get_weather"}}
BOOK = {"type": "function", "function": {"name": "book_table"}}
SEARCH = {"type": "file_search"}


@pytest.mark.parametrize(
    ("tools", "choice", "parallel", "message", "names"),
    [
        ([WEATHER, BOOK], "auto", True, "hello", ["get_weather"]),
        ([WEATHER, BOOK], "auto", True, "please BOOK_TABLE", ["book_table"]),
        ([WEATHER, BOOK], "required", True, "book_table and get_weather", ["get_weather", "book_table"]),
        ([WEATHER, BOOK], "auto", False, "book_table and get_weather", ["get_weather"]),
        ([WEATHER, BOOK], "none", True, "get_weather", []),
        (
            [WEATHER, BOOK],
            {"type": "function", "function": {"name": "book_table"}},
            True,
            "get_weather",
            ["book_table"],
        ),
        ([SEARCH, WEATHER], {"type": "file_search"}, True, "get_weather", []),
        ([SEARCH], "required", True, "anything", []),
        ([], "auto", True, "anything", []),
    ],
)
def test_which_functions_a_run_calls(tools, choice, parallel, message, names):
    chosen = tool_calls.chosen(tools, choice, parallel, message)
    assert [function["name"] for function in chosen] == names


def test_calls_carry_fresh_ids_and_json_arguments():
    counter = itertools.count()
    made = tool_calls.calls(
        [{"name": "a"}, {"name": "b", "parameters": SCHEMAS[2]}], "q", lambda: f"call_{next(counter)}"
    )
    assert [call["id"] for call in made] == ["call_0", "call_1"]
    assert all(call["type"] == "function" for call in made)
    assert json.loads(made[0]["function"]["arguments"]) == {}
    jsonschema.validate(json.loads(made[1]["function"]["arguments"]), SCHEMAS[2])
