"""Dashboard pages for files: `/_emulator/dashboard/files`, `.../files/{id}` and `.../files/{id}/content`.

A file's page shows its record, what uses it (the batches, fine-tuning jobs and vector stores
that read or wrote it, linked, so the way back from a batch's error file leads to the batch)
and the start of its content; `.../content` opens the whole of it in the browser. `/v1/files/{id}/content`
needs an API key, which a link cannot carry: these pages, like the rest of the local emulator's
dashboard, need none.

Which objects use a file is read through the store by kind, as services read each other's
objects (`tests/emulator/test_dashboard_pages.py` checks the kinds named here are the services').
"""

from __future__ import annotations

import html
import mimetypes
from collections import Counter
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, HTMLResponse
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.html import (
    Section,
    fields,
    html_page,
    link,
    not_found,
    table,
    timestamp,
    to,
    when,
)
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.web import emulator

router = APIRouter(prefix="/_emulator/dashboard")

KIND = "file"
BATCH_KIND = "batch"
JOB_KIND = "fine_tuning.job"
STORE_KIND = "vector_store"
LIST = (to("files"), "Files")
LISTED = 500
"""Files the list page shows at most (newest first)."""
PREVIEW_BYTES = 64 * 1024
TEXT_TYPES = {".jsonl": "application/jsonl", ".csv": "text/csv", ".md": "text/markdown"}


def store_files_kind(store_id: str) -> str:
    """The kind under which a vector store keeps its attachments (`vector_store_objects.files_kind`)."""
    return f"vector_store.file@{store_id}"


def _tally(state: EmulatorState) -> Counter[str]:
    return Counter(obj["purpose"] for obj in state.store.all(KIND))


SECTION = Section(
    "Files", "files", "Uploaded files, and the files batches and jobs wrote, by purpose.", _tally
)


@router.get("/files", response_class=HTMLResponse)
async def file_list(state: EmulatorState = Depends(emulator)) -> HTMLResponse:
    """Every file, with its purpose and size."""
    files = state.store.all(KIND)
    rows = [
        (
            link(to("files", obj["id"]), obj["id"]),
            obj["filename"],
            obj["purpose"],
            obj["bytes"],
            obj["status"],
            when(obj["created_at"]),
        )
        for obj in files[:LISTED]
    ]
    cut = f"<p class='note'>The newest {LISTED} of {len(files)} files.</p>" if len(files) > LISTED else ""
    body = (
        table(("id", "filename", "purpose", "bytes", "status", "created"), rows, empty="no files yet") + cut
    )
    return html_page(state, f"Files ({len(files)})", body)


def users(state: EmulatorState, file_id: str) -> list[tuple[str, str, str]]:
    """What uses the file, as (dashboard path, object id, how): batches, fine-tuning jobs, vector stores."""
    found = []
    for batch in state.store.all(BATCH_KIND):
        for name, how in (
            ("input_file_id", "input"),
            ("output_file_id", "output"),
            ("error_file_id", "errors"),
        ):
            if batch.get(name) == file_id:
                found.append((to("batches", batch["id"]), batch["id"], f"batch {how}"))
    for job in state.store.all(JOB_KIND):
        for name, how in (("training_file", "training file"), ("validation_file", "validation file")):
            if job.get(name) == file_id:
                found.append((to("finetune", job["id"]), job["id"], f"fine-tuning {how}"))
        if file_id in (job.get("result_files") or []):
            found.append((to("finetune", job["id"]), job["id"], "fine-tuning result file"))
    for store in state.store.all(STORE_KIND):
        if state.store.get(store_files_kind(store["id"]), file_id) is not None:
            found.append((to("storage", "vector_stores", store["id"]), store["id"], "in vector store"))
    return found


def _preview(state: EmulatorState, file_id: str) -> str | None:
    """The start of the file as text (cut at a line end), or None when it is not text."""
    path = state.store.content(file_id)
    if not path.exists():
        return None
    with path.open("rb") as source:
        head = source.read(PREVIEW_BYTES + 1)
    cut = len(head) > PREVIEW_BYTES
    head = head[:PREVIEW_BYTES]
    if cut and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]
    if b"\x00" in head:
        return None
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as error:
        if cut and error.start >= len(head) - 3:  # a character cut in two at the end
            return head[: error.start].decode("utf-8", errors="replace")
        return None


@router.get("/files/{file_id}", response_class=HTMLResponse)
async def file_page(file_id: str, state: EmulatorState = Depends(emulator)) -> HTMLResponse:
    """A file: its fields, what uses it, and its content."""
    obj = state.store.get(KIND, file_id)
    if obj is None:
        return not_found(state, "file", file_id, LIST)
    used = await run_in_threadpool(users, state, file_id)
    preview = await run_in_threadpool(_preview, state, file_id)
    rows = [
        ("filename", obj["filename"]),
        ("purpose", obj["purpose"]),
        ("bytes", f"{obj['bytes']:,}"),
        ("status", obj["status"]),
        ("created", timestamp(obj["created_at"])),
    ]
    raw = link(to("files", file_id, "content"), "Open the whole file")
    if preview is None:
        shown = f"<p class='note'>Not text ({obj['bytes']:,} bytes). {raw}</p>"
    else:
        more = (
            f" (the first {len(preview.encode()):,} of {obj['bytes']:,} bytes)"
            if len(preview.encode()) < obj["bytes"]
            else ""
        )
        shown = f"<p>{raw}{more}</p><pre class='content'>{html.escape(preview)}</pre>"
    used_rows = [(how, link(href, object_id)) for href, object_id, how in used]
    body = (
        fields(rows)
        + f"<h2>Used by</h2>{table(('as', 'object'), used_rows, empty='nothing in this emulator')}"
        + f"<h2>Content</h2>{shown}"
    )
    return html_page(state, f"File {file_id}", body, crumbs=[LIST])


@router.get("/files/{file_id}/content", response_model=None)
async def file_content(file_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    """The whole file, shown in the browser where it can be (text as text), downloaded otherwise."""
    obj = state.store.get(KIND, file_id)
    path = None if obj is None else state.store.content(file_id)
    if obj is None or path is None or not path.exists():
        return not_found(state, "file", file_id, LIST)
    return FileResponse(path, media_type=_media_type(obj["filename"]), headers=_inline(obj["filename"]))


def _media_type(filename: str) -> str:
    """Text of any kind as `text/plain` (a browser shows it rather than download it), else its type."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    guessed = TEXT_TYPES.get(suffix) or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if guessed.startswith("text/") or guessed in ("application/json", "application/jsonl"):
        return "text/plain; charset=utf-8"
    return guessed


def _inline(filename: str) -> dict[str, str]:
    safe = filename.encode("ascii", "replace").decode().replace('"', "")
    return {"content-disposition": f'inline; filename="{safe}"'}
