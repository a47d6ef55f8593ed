"""Dashboard pages for vector stores: `/_emulator/dashboard/storage/vector_stores` and `.../{id}`.

They stand in for `https://platform.openai.com/storage/vector_stores/{id}`, so a task's
link to a store opens something real against the emulator: the store's status, usage
and file counts, and each file with its status and last error, as of now on the
emulator's clock.
"""

from __future__ import annotations

import html

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.html import html_page, link, plain, table, timestamp
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.vector_stores import vector_store_lifecycle as lifecycle

router = APIRouter(prefix="/_emulator/dashboard/storage")

STORE_FIELDS = ("name", "status", "usage_bytes", "expires_after", "expires_at", "last_active_at", "metadata")


def _stores(state: EmulatorState) -> list[Obj]:
    return [lifecycle.refresh(state, store) for store in state.store.all(lifecycle.STORE)]


@router.get("/vector_stores", response_class=HTMLResponse)
async def store_list(state: EmulatorState = Depends(emulator)) -> HTMLResponse:
    stores = await run_in_threadpool(_stores, state)
    rows = [
        (
            link(f"vector_stores/{store['id']}", store["id"]),
            store["name"],
            store["status"],
            _counts(store["file_counts"]),
            store["usage_bytes"],
            timestamp(store["created_at"]),
        )
        for store in stores
    ]
    header = ("id", "name", "status", "files", "usage_bytes", "created")
    return html_page(f"Vector stores ({len(stores)})", table(header, rows))


def _store_and_files(state: EmulatorState, store_id: str) -> tuple[Obj, list[Obj]] | None:
    store = state.store.get(lifecycle.STORE, store_id)
    if store is None:
        return None
    return lifecycle.refresh(state, store), lifecycle.attachments(state, store_id)


@router.get("/vector_stores/{vector_store_id}", response_class=HTMLResponse)
async def store_page(vector_store_id: str, state: EmulatorState = Depends(emulator)) -> HTMLResponse:
    found = await run_in_threadpool(_store_and_files, state, vector_store_id)
    if found is None:
        return html_page(
            "Vector store not found", f"<p>No vector store {html.escape(vector_store_id)}.</p>", 404
        )
    store, files = found
    fields = [(name, _text(name, store.get(name))) for name in STORE_FIELDS]
    if store.get("_description"):
        fields.append(("description", store["_description"]))
    rows = [
        (
            item["id"],
            item["_filename"],
            item["status"],
            item["usage_bytes"],
            _last_error(item["last_error"]),
            timestamp(item["created_at"]),
        )
        for item in files
    ]
    header = ("file", "filename", "status", "usage_bytes", "last_error", "attached")
    body = (
        f"<p>Files: {html.escape(_counts(store['file_counts']))}; created {timestamp(store['created_at'])}</p>"
        f"{table(None, fields)}<h2>Files</h2>{table(header, rows)}"
    )
    return html_page(f"Vector store {store['id']}", body)


def _counts(counts: dict[str, int]) -> str:
    """`2 completed, 1 in_progress, 0 failed, 0 cancelled of 3`."""
    order = ("completed", "in_progress", "failed", "cancelled")
    parts = ", ".join(f"{counts[status]} {status}" for status in order)
    return f"{parts} of {counts['total']}"


def _last_error(error: dict[str, str] | None) -> str:
    return "" if error is None else f"{error['code']}: {error['message']}"


def _text(name: str, value: object) -> str:
    if name in ("expires_at", "last_active_at") and isinstance(value, int):
        return timestamp(value)
    return plain(value)
