"""`/v1/vector_stores`: create (with files attached at once), list, retrieve, modify, delete.

A store is shown as of now on the emulator's clock (see `vector_store_lifecycle`):
its file counts, usage and status follow its files, and it expires after
`expires_after.days` without activity. Deleting a store deletes its attachments and
file batches, not the files.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.chunking import chunking
from airflow_openai.emulator.core.list_query import ListQuery, list_query
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.vector_stores import vector_store_lifecycle as lifecycle
from airflow_openai.emulator.vector_stores.vector_store_bodies import (
    CreateVectorStoreRequest,
    UpdateVectorStoreRequest,
    parse,
)
from airflow_openai.emulator.vector_stores.vector_store_lookup import searchable_files, store_or_404

router = APIRouter()


def _create(state: EmulatorState, request: CreateVectorStoreRequest) -> Any:
    sources = searchable_files(state, request.file_ids or [], "file_ids")
    store = lifecycle.create_store(
        state,
        name=request.name,
        description=request.description,
        metadata=request.metadata,
        expires_after=request.expires_after.model_dump() if request.expires_after else None,
    )
    if sources:
        strategy = chunking(request.chunking_strategy)
        lifecycle.attach(state, store, [lifecycle.Wanted(source, strategy) for source in sources])
    return lifecycle.render_store(lifecycle.refresh(state, store))


@router.post("/vector_stores")
async def create_vector_store(
    body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
    request = parse(CreateVectorStoreRequest, body)
    return await run_in_threadpool(_create, state, request)


def _list(state: EmulatorState, query: ListQuery) -> Any:
    stores = [lifecycle.refresh(state, store) for store in state.store.all(lifecycle.STORE)]
    return query.page(stores, render=lifecycle.render_store)


@router.get("/vector_stores")
async def list_vector_stores(
    query: ListQuery = Depends(list_query), state: EmulatorState = Depends(emulator)
) -> Any:
    return await run_in_threadpool(_list, state, query)


@router.get("/vector_stores/{vector_store_id}")
async def get_vector_store(vector_store_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    return lifecycle.render_store(await run_in_threadpool(store_or_404, state, vector_store_id))


def _update(state: EmulatorState, store_id: str, request: UpdateVectorStoreRequest) -> Any:
    store = store_or_404(state, store_id)
    changes = request.model_dump(exclude_unset=True)
    return lifecycle.render_store(lifecycle.update_store(state, store, changes))


@router.post("/vector_stores/{vector_store_id}")
async def modify_vector_store(
    vector_store_id: str, body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
    request = parse(UpdateVectorStoreRequest, body)
    return await run_in_threadpool(_update, state, vector_store_id, request)


def _delete(state: EmulatorState, store_id: str) -> Any:
    lifecycle.delete_store(state, store_or_404(state, store_id))
    return {"id": store_id, "object": "vector_store.deleted", "deleted": True}


@router.delete("/vector_stores/{vector_store_id}")
async def delete_vector_store(vector_store_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    return await run_in_threadpool(_delete, state, vector_store_id)
