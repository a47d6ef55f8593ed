"""Each direct call's answer gets ids of its own and the emulated time, as the service's answers do.

The responder's answer is a function of the request (the same request, the same words), so
the ids it derives from the request would repeat across identical calls, which no client
expects: a cache keyed by completion id, or tool calls matched by id, would mix two calls.
The route replaces them with ids from the emulator's id factory (repeatable under `--seed`,
never repeated within a run) and sets `created` to the emulated now.
"""

from __future__ import annotations

from typing import Any

from airflow_openai.emulator.core.state import EmulatorState

PREFIXES = {"chat.completion": "chatcmpl-", "text_completion": "cmpl-"}
ID_LENGTH = 29
CALL_ID_LENGTH = 24


def stamped(state: EmulatorState, answer: dict[str, Any]) -> dict[str, Any]:
    """`answer` with a fresh `id` (and fresh tool call ids) and `created` now; any other answer as it is."""
    prefix = PREFIXES.get(answer.get("object", ""))
    if prefix is None:
        return answer
    answer["id"] = state.ids.new(prefix, ID_LENGTH)
    answer["created"] = state.now()
    for choice in answer.get("choices") or ():
        message = choice.get("message") if isinstance(choice, dict) else None
        for call in (message or {}).get("tool_calls") or ():
            if isinstance(call, dict) and "id" in call:
                call["id"] = state.ids.new("call_", CALL_ID_LENGTH)
    return answer
