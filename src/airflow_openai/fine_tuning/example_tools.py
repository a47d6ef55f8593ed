"""The function-calling parts of a chat training example: the assistant's `tool_calls` and
`function_call`, and the `tools` and `functions` the example offers the model (the spec's
`ChatCompletionMessageToolCall`, `ChatCompletionTool`, `FunctionObject` and `ChatCompletionFunctions`)."""

from __future__ import annotations

import re
from typing import Any

from airflow_openai.fine_tuning.example_fields import (
    Refused,
    json_type,
    refuse_unknown,
    require_string,
    shown,
)

FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_FUNCTIONS = 128


def check_tool_calls(calls: Any, path: str) -> None:
    if not isinstance(calls, list):
        raise Refused(path, f"must be a list of tool calls, not {json_type(calls)}")
    if not calls:
        raise Refused(path, "must hold at least one tool call")
    for index, call in enumerate(calls):
        where = f"{path}[{index}]"
        if not isinstance(call, dict):
            raise Refused(where, f"must be an object (a tool call), not {json_type(call)}")
        refuse_unknown(call, ("id", "type", "function"), where, "a tool call")
        for key in ("id", "type", "function"):
            if key not in call:
                raise Refused(f"{where}.{key}", "is required")
        require_string(call["id"], f"{where}.id", empty=False)
        if call["type"] != "function":
            raise Refused(f"{where}.type", f"must be 'function' (got {shown(call['type'])})")
        check_call(call["function"], f"{where}.function")


def check_call(call: Any, path: str) -> None:
    """A function call the assistant makes: a name and its arguments as a string of JSON."""
    if not isinstance(call, dict):
        raise Refused(path, f"must be an object with name and arguments, not {json_type(call)}")
    refuse_unknown(call, ("name", "arguments"), path, "a function call")
    for key in ("name", "arguments"):
        if key not in call:
            raise Refused(f"{path}.{key}", "is required")
        require_string(call[key], f"{path}.{key}", empty=key == "arguments")


def check_tools(tools: Any) -> None:
    if not isinstance(tools, list):
        raise Refused("tools", f"must be a list of tools, not {json_type(tools)}")
    for index, tool in enumerate(tools):
        where = f"tools[{index}]"
        if not isinstance(tool, dict):
            raise Refused(where, f"must be an object (a tool), not {json_type(tool)}")
        refuse_unknown(tool, ("type", "function"), where, "a tool")
        if tool.get("type") != "function":
            raise Refused(f"{where}.type", f"must be 'function' (got {shown(tool.get('type'))})")
        if "function" not in tool:
            raise Refused(f"{where}.function", "is required")
        _check_definition(
            tool["function"], f"{where}.function", ("name", "description", "parameters", "strict")
        )


def check_functions(functions: Any) -> None:
    if not isinstance(functions, list):
        raise Refused("functions", f"must be a list of functions, not {json_type(functions)}")
    if not 1 <= len(functions) <= MAX_FUNCTIONS:
        raise Refused("functions", f"must hold 1 to {MAX_FUNCTIONS} functions (got {len(functions)})")
    for index, function in enumerate(functions):
        _check_definition(function, f"functions[{index}]", ("name", "description", "parameters"))


def _check_definition(function: Any, path: str, keys: tuple[str, ...]) -> None:
    """A function the model may call: a name of up to 64 letters, digits, `_` or `-`, and optional
    description, JSON Schema parameters and (for tools) strict flag."""
    if not isinstance(function, dict):
        raise Refused(path, f"must be an object (a function definition), not {json_type(function)}")
    refuse_unknown(function, keys, path, "a function definition")
    name = function.get("name")
    if not isinstance(name, str) or not FUNCTION_NAME.match(name):
        raise Refused(
            f"{path}.name", f"must be 1 to 64 letters, digits, underscores or dashes (got {shown(name)})"
        )
    if "description" in function:
        require_string(function["description"], f"{path}.description")
    if "parameters" in function and not isinstance(function["parameters"], dict):
        raise Refused(
            f"{path}.parameters", f"must be a JSON Schema object, not {json_type(function['parameters'])}"
        )
    if function.get("strict") is not None and not isinstance(function["strict"], bool):
        raise Refused(f"{path}.strict", f"must be true, false or null, not {json_type(function['strict'])}")
