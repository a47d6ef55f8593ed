"""`/v1/vector_stores/{id}/files`: attach a file, list (by status), retrieve, detach.

Attaching a file the store already holds answers its attachment as it is, whatever its
status: to index it again, detach it first. Detaching leaves the file in `/v1/files`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.chunking import chunking
from airflow_openai.emulator.core.errors import bad_request, not_found
from airflow_openai.emulator.core.listing import page
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.vector_stores import vector_store_lifecycle as lifecycle
from airflow_openai.emulator.vector_stores.vector_store_bodies import CreateVectorStoreFileRequest, parse
from airflow_openai.emulator.vector_stores.vector_store_lookup import searchable_file, store_or_404

router = APIRouter()


def status_filter(value: str | None) -> str | None:
    """The `filter` query parameter: one of the file statuses, or none."""
    if value is not None and value not in lifecycle.FILE_STATUSES:
        raise bad_request(
            f"Invalid value for 'filter': expected one of {', '.join(lifecycle.FILE_STATUSES)}, got '{value}'.",
            param="filter",
            code="invalid_value",
        )
    return value


def file_page(
    files: list[Obj], *, limit: int, order: str, after: str | None, before: str | None, wanted: str | None
) -> Any:
    return page(
        files,
        limit=limit,
        order=order,
        after=after,
        before=before,
        render=lifecycle.render_file,
        keep=None if wanted is None else lambda item: item["status"] == wanted,
    )


def _attach(state: EmulatorState, store_id: str, request: CreateVectorStoreFileRequest) -> Any:
    store = lifecycle.usable(state, store_or_404(state, store_id))
    source = searchable_file(state, request.file_id)
    item = lifecycle.Wanted(source, chunking(request.chunking_strategy), request.attributes)
    (attached,) = lifecycle.attach(state, store, [item])
    return lifecycle.render_file(attached)


@router.post("/vector_stores/{vector_store_id}/files")
async def create_vector_store_file(
    vector_store_id: str, body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
    request = parse(CreateVectorStoreFileRequest, body)
    return await run_in_threadpool(_attach, state, vector_store_id, request)


def _list(state: EmulatorState, store_id: str, **listing: Any) -> Any:
    store_or_404(state, store_id)
    return file_page(lifecycle.attachments(state, store_id), **listing)


@router.get("/vector_stores/{vector_store_id}/files")
async def list_vector_store_files(
    vector_store_id: str,
    limit: int = 20,
    order: str = "desc",
    after: str | None = None,
    before: str | None = None,
    filter: str | None = None,
    state: EmulatorState = Depends(emulator),
) -> Any:
    wanted = status_filter(filter)
    return await run_in_threadpool(
        _list, state, vector_store_id, limit=limit, order=order, after=after, before=before, wanted=wanted
    )


def _get(state: EmulatorState, store_id: str, file_id: str) -> Any:
    store_or_404(state, store_id)
    found = lifecycle.attachment(state, store_id, file_id)
    if found is None:
        raise not_found("vector store file", file_id)
    return lifecycle.render_file(found)


@router.get("/vector_stores/{vector_store_id}/files/{file_id}")
async def get_vector_store_file(
    vector_store_id: str, file_id: str, state: EmulatorState = Depends(emulator)
) -> Any:
    return await run_in_threadpool(_get, state, vector_store_id, file_id)


def _detach(state: EmulatorState, store_id: str, file_id: str) -> Any:
    if not lifecycle.detach(state, store_or_404(state, store_id), file_id):
        raise not_found("vector store file", file_id)
    return {"id": file_id, "object": "vector_store.file.deleted", "deleted": True}


@router.delete("/vector_stores/{vector_store_id}/files/{file_id}")
async def delete_vector_store_file(
    vector_store_id: str, file_id: str, state: EmulatorState = Depends(emulator)
) -> Any:
    return await run_in_threadpool(_detach, state, vector_store_id, file_id)
