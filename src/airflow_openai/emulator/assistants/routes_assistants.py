"""`/v1/assistants`: create, list, retrieve, modify, delete.

An assistant is a model with instructions, tools and defaults (`temperature`, `top_p`,
`response_format`) that its runs take unless they say otherwise; what the service refuses
at once (an unknown model, a function schema that is not one, a file or vector store that
does not exist) is a 400 here (see `assistant_checks`). Deleting an assistant leaves its
threads and runs.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.assistants import assistant_checks as checks
from airflow_openai.emulator.assistants.assistant_bodies import (
    CreateAssistantRequest,
    ModifyAssistantRequest,
    parse,
    response_format,
    tool_list,
)
from airflow_openai.emulator.assistants.beta_header import assistants_v2
from airflow_openai.emulator.assistants.thread_messages import render
from airflow_openai.emulator.core.errors import not_found
from airflow_openai.emulator.core.list_query import ListQuery, list_query
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.core.web import emulator

router = APIRouter(dependencies=[Depends(assistants_v2)])

KIND = "assistant"
DEFAULTS: dict[str, Any] = {
    "name": None,
    "description": None,
    "instructions": None,
    "tools": [],
    "tool_resources": {},
    "metadata": {},
    "temperature": 1.0,
    "top_p": 1.0,
    "response_format": "auto",
}
"""What an assistant shows for a field not given, or given as null."""


def assistant_or_404(state: EmulatorState, assistant_id: str) -> Obj:
    assistant = state.store.get(KIND, assistant_id)
    if assistant is None:
        raise not_found("assistant", assistant_id)
    return assistant


def _checked(state: EmulatorState, given: set[str], request: Any) -> dict[str, Any]:
    """The fields given, as the assistant shows them, once checked; null ones back to their defaults."""
    fields: dict[str, Any] = {}
    for name in given:
        if name == "reasoning_effort":
            continue  # accepted, as the SDK may send it; the spec's assistant has no such field
        value = getattr(request, name)
        if value is None:
            fields[name] = DEFAULTS[name]
        elif name == "model":
            fields[name] = checks.chat_model(state, value)
        elif name == "tools":
            fields[name] = tool_list(value)
            checks.check_tools(fields[name])
        elif name == "response_format":
            fields[name] = response_format(value)
            checks.check_response_format(fields[name])
        elif name == "tool_resources":
            fields[name] = checks.tool_resources(state, value)
        else:
            fields[name] = value
    return fields


def _create(state: EmulatorState, request: CreateAssistantRequest) -> Obj:
    fields = _checked(state, request.model_fields_set, request)
    assistant: Obj = {"id": state.ids.new("asst_"), "object": "assistant", "created_at": state.now()}
    assistant.update({name: fields.get(name, default) for name, default in DEFAULTS.items()})
    assistant["model"] = fields["model"]
    return render(state.store.put(KIND, assistant))


@router.post("/assistants")
async def create_assistant(body: Any = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    request = parse(CreateAssistantRequest, body)
    return await run_in_threadpool(_create, state, request)


@router.get("/assistants")
async def list_assistants(
    query: ListQuery = Depends(list_query), state: EmulatorState = Depends(emulator)
) -> Any:
    return query.page(state.store.all(KIND), render=render)


@router.get("/assistants/{assistant_id}")
async def get_assistant(assistant_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    return render(assistant_or_404(state, assistant_id))


def _modify(state: EmulatorState, assistant_id: str, request: ModifyAssistantRequest) -> Obj:
    with state.lock:
        assistant = assistant_or_404(state, assistant_id)
        assistant.update(_checked(state, request.model_fields_set, request))
        return render(state.store.put(KIND, assistant))


@router.post("/assistants/{assistant_id}")
async def modify_assistant(
    assistant_id: str, body: Any = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
    request = parse(ModifyAssistantRequest, body)
    return await run_in_threadpool(_modify, state, assistant_id, request)


@router.delete("/assistants/{assistant_id}")
async def delete_assistant(assistant_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    assistant_or_404(state, assistant_id)
    state.store.delete(KIND, assistant_id)
    return {"id": assistant_id, "object": "assistant.deleted", "deleted": True}
