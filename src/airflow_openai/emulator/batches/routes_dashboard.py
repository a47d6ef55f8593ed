"""A small web dashboard under `/_emulator/dashboard`: one page per batch and a list page.

It stands in for platform.openai.com so that a task's "OpenAI batch" link opens
something real in demos and tests against the emulator: `/batches/{id}` shows one batch,
`/batches?ids=a,b` the batches of one task (all batches without `ids`). Like the rest of
the control plane it needs no key, and like the API it shows each batch as of now on the
emulator's clock. The other services' dashboards (fine-tuning jobs, vector stores, threads)
are their own `routes_dashboard.py`; all share the page helpers of `core.html`.
"""

from __future__ import annotations

import html
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.batches import batch_lifecycle
from airflow_openai.emulator.core.html import html_page, link, plain, table, timestamp
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.core.web import emulator

router = APIRouter(prefix="/_emulator/dashboard")

COLUMNS = ("id", "status", "endpoint", "requests", "created", "metadata")


@router.get("/batches", response_class=HTMLResponse)
async def batch_list(ids: str | None = None, state: EmulatorState = Depends(emulator)) -> HTMLResponse:
    wanted = [batch_id for batch_id in (ids or "").split(",") if batch_id]
    if wanted:
        found = [state.store.get("batch", batch_id) for batch_id in wanted]
    else:
        found = list(state.store.all("batch"))
    batches = [await _current(state, obj) for obj in found if obj is not None]
    missing = [batch_id for batch_id, obj in zip(wanted, found, strict=False) if obj is None]
    note = f"<p>Not found: {html.escape(', '.join(missing))}</p>" if missing else ""
    return html_page(f"Batches ({len(batches)})", table(COLUMNS, map(_cells, batches)) + note)


@router.get("/batches/{batch_id}", response_class=HTMLResponse)
async def batch_page(batch_id: str, state: EmulatorState = Depends(emulator)) -> HTMLResponse:
    obj = state.store.get("batch", batch_id)
    if obj is None:
        return html_page("Batch not found", f"<p>No batch {html.escape(batch_id)}.</p>", status=404)
    batch = await _current(state, obj)
    fields = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(plain(batch.get(name)))}</td></tr>"
        for name in (
            "status",
            "endpoint",
            "input_file_id",
            "output_file_id",
            "error_file_id",
            "completion_window",
            "metadata",
        )
    )
    counts = batch["request_counts"]
    summary = (
        f"<p>{counts['completed']} completed, {counts['failed']} failed of {counts['total']} requests; "
        f"created {timestamp(batch['created_at'])}</p>"
    )
    return html_page(f"Batch {batch['id']}", summary + f"<table>{fields}</table>")


async def _current(state: EmulatorState, batch: Obj) -> Obj:
    """The batch as the API would show it now (running its due lines happens off the event loop)."""
    if batch["status"] in batch_lifecycle.TERMINAL:
        return batch
    return await run_in_threadpool(batch_lifecycle.advance, state, batch)


def _cells(batch: Obj) -> tuple[Any, ...]:
    counts = batch["request_counts"]
    return (
        link(f"batches/{batch['id']}", batch["id"]),
        batch["status"],
        batch["endpoint"],
        f"{counts['completed']}+{counts['failed']}/{counts['total']}",
        timestamp(batch["created_at"]),
        batch.get("metadata"),
    )
