"""Dashboard pages for vector stores: `/_emulator/dashboard/storage/vector_stores` and `.../{id}`.

They stand in for `https://platform.openai.com/storage/vector_stores/{id}`, so a task's link to
a store opens something real against the emulator: the store's status (with its files' progress
and ETA while they are processed, the page reloading itself), usage, expiry, its file batches,
and each file with where it came from, its status and last error, linked to the file's own page,
as of now on the emulator's clock.

Where a file came from: the path an `attributes` entry names (`source_path`, `path` or
`source`), else the path the provider's sync puts in the upload name
(`<sha256 prefix>~<store tag>~<percent-encoded path>`, see `airflow_openai.vector_stores.naming`;
the emulator reads the form, it does not import the provider), else the upload name itself.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.html import (
    Markup,
    Section,
    badge,
    eta,
    fields,
    html_page,
    link,
    not_found,
    plain,
    progress,
    table,
    timestamp,
    to,
    when,
)
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.vector_stores import vector_store_lifecycle as lifecycle
from airflow_openai.emulator.vector_stores.vector_store_objects import BATCH

router = APIRouter(prefix="/_emulator/dashboard/storage")

LIST = (to("storage", "vector_stores"), "Vector stores")
SOURCE_ATTRIBUTES = ("source_path", "path", "source")
INGESTED_NAME = re.compile(r"[0-9a-f]{16}~[0-9a-f]{8}~(.+)")
"""An upload name the provider's sync made: the file's path relative to its source is the last part."""


def _stores(state: EmulatorState) -> list[Obj]:
    return [lifecycle.refresh(state, store) for store in state.store.all(lifecycle.STORE)]


def _tally(state: EmulatorState) -> Counter[str]:
    return Counter(store["status"] for store in _stores(state))


SECTION = Section(
    "Vector stores", "storage/vector_stores", "Stores, their files processed on the emulated clock.", _tally
)


def source_path(attachment: Obj) -> str:
    """Where an attached file came from (see the module's docstring)."""
    attributes = attachment.get("attributes") or {}
    for key in SOURCE_ATTRIBUTES:
        if attributes.get(key):
            return str(attributes[key])
    match = INGESTED_NAME.fullmatch(attachment["_filename"])
    return unquote(match.group(1), errors="surrogateescape") if match else attachment["_filename"]


@router.get("/vector_stores", response_class=HTMLResponse)
async def store_list(state: EmulatorState = Depends(emulator)) -> HTMLResponse:
    """Every vector store, with its file counts."""
    stores = await run_in_threadpool(_stores, state)
    rows = [
        (
            link(to("storage", "vector_stores", store["id"]), store["id"]),
            store["name"],
            badge(store["status"]),
            _counts(store["file_counts"]),
            store["usage_bytes"],
            when(store["created_at"]),
        )
        for store in stores
    ]
    header = ("id", "name", "status", "files", "usage_bytes", "created")
    live = any(store["status"] == "in_progress" for store in stores)
    body = table(header, rows, empty="no vector stores yet")
    return html_page(state, f"Vector stores ({len(stores)})", body, live=live)


def _store_files_batches(state: EmulatorState, store_id: str) -> tuple[Obj, list[Obj], list[Obj]] | None:
    store = state.store.get(lifecycle.STORE, store_id)
    if store is None:
        return None
    batches = [
        lifecycle.refresh_batch(state, batch)
        for batch in state.store.all(BATCH)
        if batch["vector_store_id"] == store_id
    ]
    return lifecycle.refresh(state, store), lifecycle.attachments(state, store_id), batches


@router.get("/vector_stores/{vector_store_id}", response_class=HTMLResponse)
async def store_page(vector_store_id: str, state: EmulatorState = Depends(emulator)) -> HTMLResponse:
    """A vector store: its files by source path and its file batches."""
    found = await run_in_threadpool(_store_files_batches, state, vector_store_id)
    if found is None:
        return not_found(state, "vector store", vector_store_id, LIST)
    store, files, batches = found
    rows: list[tuple[str, Any]] = [
        ("name", store["name"]),
        ("description", store.get("_description")),
        ("usage_bytes", store["usage_bytes"]),
        ("expires_after", plain(store.get("expires_after"))),
        ("expires_at", timestamp(store.get("expires_at"))),
        ("last_active_at", timestamp(store["last_active_at"])),
        ("metadata", plain(store["metadata"])),
    ]
    file_rows = [
        (
            link(to("files", item["id"]), source_path(item)),
            _file(item),
            badge(item["status"]),
            item["usage_bytes"],
            _last_error(item["last_error"]),
            when(item["created_at"]),
        )
        for item in files
    ]
    header = ("source", "file and upload name", "status", "usage_bytes", "last_error", "attached")
    batch_rows = [
        (batch["id"], badge(batch["status"]), _counts(batch["file_counts"]), when(batch["created_at"]))
        for batch in batches
    ]
    body = (
        _progress(state, store, files)
        + f"<p>Files: {html.escape(_counts(store['file_counts']))}; created {timestamp(store['created_at'])}</p>"
        + fields(rows)
        + f"<h2>Files ({len(files)})</h2>{table(header, file_rows, empty='no files attached')}"
        + f"<h2>File batches ({len(batches)})</h2>"
        + table(("id", "status", "files", "created"), batch_rows, empty="no file batches")
    )
    live = store["status"] == "in_progress" or any(
        batch["status"] in ("in_progress", "cancelling") for batch in batches
    )
    return html_page(
        state, f"Vector store {store['id']}", body, crumbs=[LIST], live=live, state_badge=store["status"]
    )


def _progress(state: EmulatorState, store: Obj, files: list[Obj]) -> str:
    """While files are processed: how many are done, and when the last should be."""
    if store["status"] == "expired":
        return f"<p class='problem'>Expired {timestamp(store.get('expires_at'))}: no file can be attached now.</p>"
    busy = [item for item in files if item["status"] == "in_progress"]
    if not busy:
        return ""
    finish = max(
        item["_done_at"] if item.get("_cancel_at") is None else min(item["_done_at"], item["_cancel_at"])
        for item in busy
    )
    return progress(len(files) - len(busy), len(files), "files processed", eta(state, finish))


def _file(item: Obj) -> Markup:
    """The file's id, and the name it was uploaded with when that says more than its source path."""
    name = item["_filename"]
    shown = "" if name == source_path(item) else f"<br><span class='note'>{html.escape(name)}</span>"
    return Markup(f"<code>{html.escape(item['id'])}</code>{shown}")


def _counts(counts: dict[str, int]) -> str:
    """`2 completed, 1 in_progress, 0 failed, 0 cancelled of 3`."""
    order = ("completed", "in_progress", "failed", "cancelled")
    parts = ", ".join(f"{counts[status]} {status}" for status in order)
    return f"{parts} of {counts['total']}"


def _last_error(error: dict[str, str] | None) -> str:
    return "" if error is None else f"{error['code']}: {error['message']}"
