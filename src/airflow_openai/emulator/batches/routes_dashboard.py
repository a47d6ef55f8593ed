"""Dashboard pages for batches: `/_emulator/dashboard/batches/{id}` and the list, `.../batches?ids=a,b`.

They stand in for platform.openai.com so that a task's "OpenAI batch" link opens something
real in demos and tests against the emulator: `/batches/{id}` shows one batch, `/batches?ids=a,b`
the batches of one task (all batches without `ids`). A batch's page shows its progress and ETA
while it runs (and reloads itself), links its input, output and error files, and, when lines
failed, why: the failures counted by error code, with the first few as examples. Like the rest
of the control plane the pages need no key; like the API they show each batch as of now on the
emulator's clock.
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.batches import batch_failures, batch_lifecycle
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

router = APIRouter(prefix="/_emulator/dashboard")

KIND = "batch"
LIST = (to("batches"), "Batches")
COLUMNS = ("id", "status", "endpoint", "requests", "done", "created", "metadata")
FILES = (("input_file_id", "input file"), ("output_file_id", "output file"), ("error_file_id", "error file"))
STAMPS = (
    "created_at",
    "in_progress_at",
    "finalizing_at",
    "completed_at",
    "failed_at",
    "expired_at",
    "cancelling_at",
    "cancelled_at",
    "expires_at",
)


def _current(state: EmulatorState, batch: Obj) -> Obj:
    """The batch as the API would show it now (running the lines due by now)."""
    return batch if batch["status"] in batch_lifecycle.TERMINAL else batch_lifecycle.advance(state, batch)


def _tally(state: EmulatorState) -> Counter[str]:
    return Counter(_current(state, batch)["status"] for batch in state.store.all(KIND))


SECTION = Section("Batches", "batches", "Batch API jobs, their lines run on the emulated clock.", _tally)


@router.get("/batches", response_class=HTMLResponse)
async def batch_list(ids: str | None = None, state: EmulatorState = Depends(emulator)) -> HTMLResponse:
    """Every batch; `?ids=a,b` shows only those (a task's link to several batches)."""
    wanted = [batch_id for batch_id in (ids or "").split(",") if batch_id]
    if wanted:
        found = [state.store.get(KIND, batch_id) for batch_id in wanted]
    else:
        found = list(state.store.all(KIND))
    batches = [await run_in_threadpool(_current, state, obj) for obj in found if obj is not None]
    missing = [batch_id for batch_id, obj in zip(wanted, found, strict=False) if obj is None]
    note = f"<p class='problem'>Not found: {html.escape(', '.join(missing))}</p>" if missing else ""
    live = any(batch["status"] not in batch_lifecycle.TERMINAL for batch in batches)
    body = table(COLUMNS, map(_cells, batches), empty="no batches yet") + note
    crumbs = [LIST] if wanted else []
    return html_page(state, f"Batches ({len(batches)})", body, crumbs=crumbs, live=live)


@router.get("/batches/{batch_id}", response_class=HTMLResponse)
async def batch_page(batch_id: str, state: EmulatorState = Depends(emulator)) -> HTMLResponse:
    """A batch: progress, ETA, its files and its failed lines counted by error code."""
    obj = state.store.get(KIND, batch_id)
    if obj is None:
        return not_found(state, "batch", batch_id, LIST)
    batch = await run_in_threadpool(_current, state, obj)
    failures = await run_in_threadpool(batch_failures.read, batch_failures.error_lines(state, batch))
    counts = batch["request_counts"]
    summary = (
        f"<p>{counts['completed']} completed, {counts['failed']} failed of {counts['total']} requests; "
        f"created {timestamp(batch['created_at'])}</p>"
    )
    files = [(label, _file_link(batch.get(name))) for name, label in FILES]
    rows = [("endpoint", batch["endpoint"]), *files, ("completion window", batch["completion_window"])]
    rows.append(("metadata", batch.get("metadata")))
    times = [
        (name.removesuffix("_at").replace("_", " "), timestamp(batch[name]))
        for name in STAMPS
        if batch.get(name)
    ]
    body = (
        _progress(state, batch)
        + summary
        + fields(rows)
        + _refusal(batch)
        + _failed_lines(batch, failures)
        + "<h2>Timeline</h2>"
        + fields(times)
    )
    live = batch["status"] not in batch_lifecycle.TERMINAL
    return html_page(
        state, f"Batch {batch['id']}", body, crumbs=[LIST], live=live, state_badge=batch["status"]
    )


def _file_link(file_id: str | None) -> Any:
    return link(to("files", file_id), file_id) if file_id else ""


def _progress(state: EmulatorState, batch: Obj) -> str:
    """While the batch runs: how far its lines are, and when it should be done."""
    status, counts = batch["status"], batch["request_counts"]
    done, total = counts["completed"] + counts["failed"], counts["total"]
    if status == "validating":
        ready = batch["created_at"] + batch_lifecycle.VALIDATION_SECONDS
        return f"<p>Validating the input file; its lines start {html.escape(eta(state, ready))}.</p>"
    if status == "in_progress":
        left = (total - done) * state.seconds_per_line
        finish = state.clock.now() + left + batch_lifecycle.FINALIZING_SECONDS
        text = progress(done, total, "lines", eta(state, finish))
        if finish > batch["expires_at"]:
            text += f"<p class='problem'>The completion window ends first: the batch expires {html.escape(eta(state, batch['expires_at']))}.</p>"
        return text
    if status == "finalizing":
        finish = batch["finalizing_at"] + batch_lifecycle.FINALIZING_SECONDS
        return progress(done, total, "lines", eta(state, finish))
    if status == "cancelling":
        finish = batch["cancelling_at"] + batch_lifecycle.CANCELLING_SECONDS
        note = (
            "<p>Cancelling: lines not run by then go to the error file as <code>batch_cancelled</code>.</p>"
        )
        return note + progress(done, total, "lines", eta(state, finish))
    return ""


def _refusal(batch: Obj) -> str:
    """Why a batch failed before running: the problems its input file has, line by line."""
    errors = (batch.get("errors") or {}).get("data") or []
    if not errors:
        return ""
    rows = [
        (error.get("line"), error.get("code"), error.get("message"), error.get("param")) for error in errors
    ]
    return "<h2>Why the batch failed</h2>" + table(("line", "code", "message", "param"), rows)


def _failed_lines(batch: Obj, failures: batch_failures.Failures) -> str:
    """The error file's lines: how many per error code, a few examples and the way to the file."""
    if not failures.scanned:
        return ""
    counted = [
        (Markup(f"<code>{html.escape(code)}</code>"), count, failures.first_message[code])
        for code, count in failures.by_code.most_common()
    ]
    examples = [
        (failure.custom_id, failure.status or "", failure.code, failure.message)
        for failure in failures.examples
    ]
    where = (
        f"<p>All of them are in the error file {_file_link(batch['error_file_id'])}. "
        if batch.get("error_file_id")
        else "<p>So far: the error file is written when the batch ends. "
    )
    where += (
        "<span class='note'>A line the model refused counts as failed; one the batch never ran "
        "(<code>batch_cancelled</code>, <code>batch_expired</code>) does not.</span></p>"
    )
    cut = (
        f"<p class='note'>Counted over the first {failures.scanned:,} error lines.</p>"
        if failures.cut_short
        else ""
    )
    return (
        f"<h2>Lines with errors ({failures.scanned:,})</h2>{where}"
        + table(("error code", "lines", "first message"), counted)
        + cut
        + "<h2>Examples</h2>"
        + table(("custom_id", "HTTP status", "code", "message"), examples)
    )


def _cells(batch: Obj) -> tuple[Any, ...]:
    counts = batch["request_counts"]
    done = counts["completed"] + counts["failed"]
    percent = f"{100 * done // counts['total']}%" if counts["total"] else ""
    return (
        link(to("batches", batch["id"]), batch["id"]),
        badge(batch["status"]),
        batch["endpoint"],
        f"{counts['completed']}+{counts['failed']}/{counts['total']}",
        percent,
        when(batch["created_at"]),
        plain(batch.get("metadata")),
    )
