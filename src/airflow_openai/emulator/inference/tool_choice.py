"""Which functions a chat call calls, and with what arguments: decided from the request alone.

Which, by `tool_choice`:

- `"none"`, or no `tools`: none, the model answers in text;
- a named function: that one, whatever the messages say (function calling used for
  structured output relies on it);
- `"required"`: the functions the last user message names (`get_weather` or `get weather`,
  case aside), in the order of `tools`, else the first function;
- `"auto"` (the default with `tools`): the functions the last user message names, else none;
  and none once the last message is a tool's output, so an agent's loop ends with an answer.

With `parallel_tool_calls: false`, only the first of those. The arguments are an instance of
the function's `parameters` schema (`schema_instance`), its strings from the last user
message, written compactly as the service writes them.
"""

from __future__ import annotations

import json
import random
from typing import Any

from airflow_openai.emulator.inference.schema_instance import instance_of

NO_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


def calls(body: dict[str, Any], question: str, rng: random.Random) -> list[tuple[str, str]]:
    """The (name, arguments) of each call the model makes now; empty to answer in text instead."""
    functions = [tool["function"] for tool in body.get("tools") or () if tool.get("type") == "function"]
    choice = body.get("tool_choice") or ("auto" if functions else "none")
    if choice == "none" or not functions:
        return []
    if isinstance(choice, dict):
        chosen = [f for f in functions if f["name"] == choice["function"]["name"]][:1]
    else:
        chosen = _named_in(functions, question)
        if choice == "auto" and body["messages"][-1].get("role") == "tool":
            chosen = []
        elif choice == "required" and not chosen:
            chosen = functions[:1]
    if body.get("parallel_tool_calls") is False:
        chosen = chosen[:1]
    return [(function["name"], arguments(function, question, rng)) for function in chosen]


def _named_in(functions: list[dict[str, Any]], question: str) -> list[dict[str, Any]]:
    said = question.lower()
    return [f for f in functions if f["name"].lower() in said or f["name"].lower().replace("_", " ") in said]


def arguments(function: dict[str, Any], question: str, rng: random.Random) -> str:
    """Arguments valid for the function's `parameters`, as the JSON text the service sends."""
    schema = function.get("parameters") or NO_PARAMETERS
    return json.dumps(instance_of(schema, schema, rng, question), separators=(",", ":"), ensure_ascii=False)
