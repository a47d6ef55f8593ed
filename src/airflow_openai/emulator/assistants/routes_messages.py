"""`/v1/threads/{thread_id}/messages`: add, list (by run), delete; retrieving and modifying one (its
metadata) are `routes_thread_objects`'s, as for runs.

As the service, a thread takes no message while one of its runs is going (queued, in
progress, waiting for tool outputs or cancelling): that is a 400 naming the run. Listing
or reading messages brings the thread's run up to date first, so the assistant's answer
appears as soon as the run has completed on the emulator's clock.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.assistants import assistant_checks as checks
from airflow_openai.emulator.assistants import run_lifecycle
from airflow_openai.emulator.assistants import thread_messages as threads
from airflow_openai.emulator.assistants.assistant_bodies import parse
from airflow_openai.emulator.assistants.beta_header import assistants_v2
from airflow_openai.emulator.assistants.thread_bodies import CreateMessageRequest
from airflow_openai.emulator.assistants.thread_lookup import message_or_404, thread_or_404
from airflow_openai.emulator.core.errors import bad_request
from airflow_openai.emulator.core.list_query import ListQuery, list_query
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.core.web import emulator

router = APIRouter(dependencies=[Depends(assistants_v2)])


def no_active_run(state: EmulatorState, thread_id: str) -> None:
    active = run_lifecycle.active_run(state, thread_id)
    if active is not None:
        raise bad_request(f"Can't add messages to {thread_id} while a run {active['id']} is active.")


def _create(state: EmulatorState, thread_id: str, request: CreateMessageRequest) -> Obj:
    with state.lock:
        thread_or_404(state, thread_id)
        wanted = checks.message(state, request, "")
        no_active_run(state, thread_id)
        return threads.render(threads.add_message(state, thread_id, **wanted))


@router.post("/threads/{thread_id}/messages")
async def create_message(
    thread_id: str, body: Any = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
    request = parse(CreateMessageRequest, body)
    return await run_in_threadpool(_create, state, thread_id, request)


def _list(state: EmulatorState, thread_id: str, query: ListQuery, run_id: str | None) -> Any:
    thread_or_404(state, thread_id)
    run_lifecycle.runs_of(state, thread_id)
    listed = state.store.all(threads.messages_kind(thread_id))
    keep = None if run_id is None else (lambda message: message["run_id"] == run_id)
    return query.page(listed, render=threads.render, keep=keep)


@router.get("/threads/{thread_id}/messages")
async def list_messages(
    thread_id: str,
    run_id: str | None = None,
    query: ListQuery = Depends(list_query),
    state: EmulatorState = Depends(emulator),
) -> Any:
    return await run_in_threadpool(_list, state, thread_id, query, run_id)


def _delete(state: EmulatorState, thread_id: str, message_id: str) -> Any:
    message_or_404(state, thread_id, message_id)
    state.store.delete(threads.messages_kind(thread_id), message_id)
    return {"id": message_id, "object": "thread.message.deleted", "deleted": True}


@router.delete("/threads/{thread_id}/messages/{message_id}")
async def delete_message(thread_id: str, message_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    return await run_in_threadpool(_delete, state, thread_id, message_id)
