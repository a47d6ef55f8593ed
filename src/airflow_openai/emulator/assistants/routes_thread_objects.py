"""`/v1/threads/{thread_id}/messages/{id}` and `/v1/threads/{thread_id}/runs/{id}`: retrieve and modify,
the two operations a thread's messages and its runs both have, as one pair of routes made for each.

`GET` answers the object as of now (a run brought up to date on the emulator's clock, a
message list with the answer of a run that has just completed). `POST` changes its metadata
and nothing else: given, the metadata replaces the object's (null clears it); left out, it
stays. The object is found and stored again under the state's lock, so a run that moves on
meanwhile is not lost. Made by one function for both kinds, the two answer alike and cannot
drift apart. Creating, listing and deleting them are `routes_messages` and `routes_runs`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Body, Depends
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.assistants import thread_messages as threads
from airflow_openai.emulator.assistants.assistant_bodies import parse
from airflow_openai.emulator.assistants.beta_header import assistants_v2
from airflow_openai.emulator.assistants.thread_bodies import ModifyRequest
from airflow_openai.emulator.assistants.thread_lookup import message_or_404, run_or_404
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.core.web import emulator

router = APIRouter(dependencies=[Depends(assistants_v2)])

Find = Callable[[EmulatorState, str, str], Obj]
"""Finds a thread's object by the thread's id and its own, or answers the 404."""


def _retrieve_and_modify(path: str, find: Find, kind: Callable[[str], str]) -> None:
    """Add `GET path` and `POST path`: `path` names the thread `{thread_id}` and the object
    `{object_id}`; `kind` gives, for a thread's id, the kind the store keeps its objects as."""

    async def retrieve(thread_id: str, object_id: str, state: EmulatorState = Depends(emulator)) -> Any:
        return threads.render(await run_in_threadpool(find, state, thread_id, object_id))

    def _modify(state: EmulatorState, thread_id: str, object_id: str, request: ModifyRequest) -> Obj:
        with state.lock:
            found = find(state, thread_id, object_id)
            if "metadata" in request.model_fields_set:
                found["metadata"] = request.metadata or {}
            return threads.render(state.store.put(kind(thread_id), found))

    async def modify(
        thread_id: str, object_id: str, body: Any = Body(...), state: EmulatorState = Depends(emulator)
    ) -> Any:
        request = parse(ModifyRequest, body)
        return await run_in_threadpool(_modify, state, thread_id, object_id, request)

    router.add_api_route(path, retrieve, methods=["GET"])
    router.add_api_route(path, modify, methods=["POST"])


def _runs_kind(thread_id: str) -> str:
    return threads.RUN  # every thread's runs are kept as one kind


_retrieve_and_modify("/threads/{thread_id}/messages/{object_id}", message_or_404, threads.messages_kind)
_retrieve_and_modify("/threads/{thread_id}/runs/{object_id}", run_or_404, _runs_kind)
