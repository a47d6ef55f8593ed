"""`/v1/threads`: create (with messages), retrieve, modify, delete.

Creating a thread checks everything it names (files, vector stores, the files of a new
vector store) before anything is kept, so a refused thread leaves nothing behind.
Deleting a thread deletes its messages, runs and run steps.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.assistants import assistant_checks as checks
from airflow_openai.emulator.assistants import thread_messages as threads
from airflow_openai.emulator.assistants.assistant_bodies import parse
from airflow_openai.emulator.assistants.beta_header import assistants_v2
from airflow_openai.emulator.assistants.thread_bodies import CreateThreadRequest, ModifyThreadRequest
from airflow_openai.emulator.assistants.thread_lookup import thread_or_404
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.core.web import emulator

router = APIRouter(dependencies=[Depends(assistants_v2)])


def new_thread(
    state: EmulatorState, request: CreateThreadRequest | None, param: str = "", resources: Any = None
) -> Obj:
    """A thread with its messages; `param` prefixes the names of refused parameters (`thread.` when the
    thread comes with a run), `resources` stand in for the thread's own tool resources when it has none."""
    request = request or CreateThreadRequest()
    wanted = [
        checks.message(state, message, f"{param}messages[{index}]")
        for index, message in enumerate(request.messages or [])
    ]
    if request.tool_resources is not None:
        shown = checks.tool_resources(state, request.tool_resources, f"{param}tool_resources")
    else:
        shown = checks.tool_resources(state, resources)
    thread = threads.create_thread(state, request.metadata, shown)
    for message in wanted:
        threads.add_message(state, thread["id"], **message)
    return thread


@router.post("/threads")
async def create_thread(body: Any = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    request = parse(CreateThreadRequest, body)
    return threads.render(await run_in_threadpool(new_thread, state, request))


@router.get("/threads/{thread_id}")
async def get_thread(thread_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    return threads.render(thread_or_404(state, thread_id))


def _modify(state: EmulatorState, thread_id: str, request: ModifyThreadRequest) -> Obj:
    with state.lock:
        thread = thread_or_404(state, thread_id)
        if "metadata" in request.model_fields_set:
            thread["metadata"] = request.metadata or {}
        if "tool_resources" in request.model_fields_set:
            thread["tool_resources"] = checks.tool_resources(state, request.tool_resources)
        return threads.render(state.store.put(threads.THREAD, thread))


@router.post("/threads/{thread_id}")
async def modify_thread(
    thread_id: str, body: Any = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
    request = parse(ModifyThreadRequest, body)
    return await run_in_threadpool(_modify, state, thread_id, request)


def _delete(state: EmulatorState, thread_id: str) -> Any:
    thread_or_404(state, thread_id)
    threads.delete_thread(state, thread_id)
    return {"id": thread_id, "object": "thread.deleted", "deleted": True}


@router.delete("/threads/{thread_id}")
async def delete_thread(thread_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    return await run_in_threadpool(_delete, state, thread_id)
