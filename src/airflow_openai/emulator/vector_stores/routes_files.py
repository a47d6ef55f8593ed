"""`/v1/vector_stores/{id}/files`: attach a file, list (by status), retrieve, detach.

Attaching a file the store already holds answers its attachment as it is, whatever its
status: to index it again, detach it first. Detaching leaves the file in `/v1/files`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Body, Depends
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.chunking import chunking
from airflow_openai.emulator.core.errors import bad_request, not_found
from airflow_openai.emulator.core.list_query import ListQuery, list_query
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.vector_stores import vector_store_lifecycle as lifecycle
from airflow_openai.emulator.vector_stores.vector_store_bodies import CreateVectorStoreFileRequest, parse
from airflow_openai.emulator.vector_stores.vector_store_lookup import searchable_file, store_or_404

router = APIRouter()


@dataclass(frozen=True)
class FileListQuery:
    """A list of a store's or a file batch's files: the page asked for, and the one status wanted
    (the `filter` query parameter), or every status."""

    query: ListQuery
    status: str | None

    def page(self, files: list[Obj]) -> dict[str, Any]:
        wanted = self.status
        keep = None if wanted is None else (lambda item: item["status"] == wanted)
        return self.query.page(files, render=lifecycle.render_file, keep=keep)


async def file_list_query(filter: str | None = None, query: ListQuery = Depends(list_query)) -> FileListQuery:
    """The dependency of both file lists. `filter` is one of the file statuses; FastAPI reads `limit`
    first and does not call this when it is not a whole number, so a bad `limit` is refused before a
    bad `filter`, and a bad `filter` before an unknown store or batch."""
    if filter is not None and filter not in lifecycle.FILE_STATUSES:
        raise bad_request(
            f"Invalid value for 'filter': expected one of {', '.join(lifecycle.FILE_STATUSES)}, got '{filter}'.",
            param="filter",
            code="invalid_value",
        )
    return FileListQuery(query, filter)


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


def _list(state: EmulatorState, store_id: str, query: FileListQuery) -> Any:
    store_or_404(state, store_id)
    return query.page(lifecycle.attachments(state, store_id))


@router.get("/vector_stores/{vector_store_id}/files")
async def list_vector_store_files(
    vector_store_id: str,
    query: FileListQuery = Depends(file_list_query),
    state: EmulatorState = Depends(emulator),
) -> Any:
    return await run_in_threadpool(_list, state, vector_store_id, query)


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
