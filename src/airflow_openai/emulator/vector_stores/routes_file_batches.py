"""`/v1/vector_stores/{id}/file_batches`: attach up to 500 files at once, follow, cancel, list their files.

A batch names its files by `file_ids` (one chunking and attributes for all) or, as the
SDK can, by `files` (each with its own); the same file named twice counts once. Its
`file_counts` move as its files are processed (see `vector_store_lifecycle`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.chunking import chunking
from airflow_openai.emulator.core.errors import bad_request
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.vector_stores import vector_store_lifecycle as lifecycle
from airflow_openai.emulator.vector_stores.routes_files import FileListQuery, file_list_query
from airflow_openai.emulator.vector_stores.vector_store_bodies import CreateVectorStoreFileBatchRequest, parse
from airflow_openai.emulator.vector_stores.vector_store_lookup import (
    batch_or_404,
    searchable_files,
    store_or_404,
)

router = APIRouter()


def _wanted(state: EmulatorState, request: CreateVectorStoreFileBatchRequest) -> list[lifecycle.Wanted]:
    if request.file_ids is not None and request.files is not None:
        raise bad_request("'file_ids' and 'files' are mutually exclusive: give one of them.", param="files")
    if request.files is not None:
        ids = [item.file_id for item in request.files]
        sources = searchable_files(state, ids, "files")
        return [
            lifecycle.Wanted(source, chunking(item.chunking_strategy), item.attributes)
            for source, item in zip(sources, request.files, strict=True)
        ]
    if request.file_ids is None:
        raise bad_request(
            "Missing required parameter: 'file_ids'.", param="file_ids", code="missing_required_parameter"
        )
    strategy = chunking(request.chunking_strategy)
    sources = searchable_files(state, request.file_ids, "file_ids")
    return [lifecycle.Wanted(source, strategy, request.attributes) for source in sources]


def _create(state: EmulatorState, store_id: str, request: CreateVectorStoreFileBatchRequest) -> Any:
    store = lifecycle.usable(state, store_or_404(state, store_id))
    return lifecycle.render_batch(lifecycle.create_batch(state, store, _wanted(state, request)))


@router.post("/vector_stores/{vector_store_id}/file_batches")
async def create_file_batch(
    vector_store_id: str, body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
    request = parse(CreateVectorStoreFileBatchRequest, body)
    return await run_in_threadpool(_create, state, vector_store_id, request)


@router.get("/vector_stores/{vector_store_id}/file_batches/{batch_id}")
async def get_file_batch(
    vector_store_id: str, batch_id: str, state: EmulatorState = Depends(emulator)
) -> Any:
    return lifecycle.render_batch(await run_in_threadpool(batch_or_404, state, vector_store_id, batch_id))


def _cancel(state: EmulatorState, store_id: str, batch_id: str) -> Any:
    return lifecycle.render_batch(lifecycle.cancel_batch(state, batch_or_404(state, store_id, batch_id)))


@router.post("/vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel")
async def cancel_file_batch(
    vector_store_id: str, batch_id: str, state: EmulatorState = Depends(emulator)
) -> Any:
    return await run_in_threadpool(_cancel, state, vector_store_id, batch_id)


def _list(state: EmulatorState, store_id: str, batch_id: str, query: FileListQuery) -> Any:
    batch = batch_or_404(state, store_id, batch_id)
    return query.page(lifecycle.batch_files(state, batch))


@router.get("/vector_stores/{vector_store_id}/file_batches/{batch_id}/files")
async def list_file_batch_files(
    vector_store_id: str,
    batch_id: str,
    query: FileListQuery = Depends(file_list_query),
    state: EmulatorState = Depends(emulator),
) -> Any:
    return await run_in_threadpool(_list, state, vector_store_id, batch_id, query)
