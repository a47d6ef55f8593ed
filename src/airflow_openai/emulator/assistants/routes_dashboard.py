"""Dashboard pages for threads: `/_emulator/dashboard/threads` and `.../threads/{thread_id}`.

They stand in for `https://platform.openai.com/threads/{thread_id}`, so a link to a thread
opens something real against the emulator: the thread's messages, oldest first, with
their text, its runs with their status, usage, error and the tool calls they wait
for, and the vector stores its file search reads (linked), as of now on the emulator's clock;
while a run is under way the page reloads itself.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.assistants import run_lifecycle, run_prompt
from airflow_openai.emulator.assistants import thread_messages as threads
from airflow_openai.emulator.core.html import (
    Markup,
    Section,
    badge,
    html_page,
    link,
    not_found,
    plain,
    table,
    timestamp,
    to,
    when,
)
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.core.web import emulator

router = APIRouter(prefix="/_emulator/dashboard")

SHOWN_TEXT = 2000
"""Characters of a message shown."""
LIST = (to("threads"), "Threads")


def _runs_by_thread(state: EmulatorState) -> dict[str, list[Obj]]:
    """Every run as of now, by thread (newest first)."""
    found: dict[str, list[Obj]] = {}
    for run in state.store.all(threads.RUN):
        current = run if run["status"] in run_lifecycle.TERMINAL else run_lifecycle.advance(state, run)
        found.setdefault(run["thread_id"], []).append(current)
    return found


def _tally(state: EmulatorState) -> Counter[str]:
    """Threads by the status of their latest run (`idle` for a thread with none)."""
    runs = _runs_by_thread(state)
    return Counter(
        runs[thread["id"]][0]["status"] if runs.get(thread["id"]) else "idle"
        for thread in state.store.all(threads.THREAD)
    )


SECTION = Section("Threads", "threads", "Assistants threads: their messages and runs.", _tally)


def _threads(state: EmulatorState) -> list[tuple[Obj, list[Obj]]]:
    runs = _runs_by_thread(state)
    return [(thread, runs.get(thread["id"], [])) for thread in state.store.all(threads.THREAD)]


@router.get("/threads", response_class=HTMLResponse)
async def thread_list(state: EmulatorState = Depends(emulator)) -> HTMLResponse:
    """Every thread, with its latest run's status and its runs counted."""
    found = await run_in_threadpool(_threads, state)
    rows = [
        (
            link(to("threads", thread["id"]), thread["id"]),
            badge(runs[0]["status"]) if runs else "no run",
            len(runs),
            plain(thread["metadata"]),
            when(thread["created_at"]),
        )
        for thread, runs in found
    ]
    live = any(run["status"] not in run_lifecycle.TERMINAL for _, runs in found for run in runs)
    body = table(("id", "latest run", "runs", "metadata", "created"), rows, empty="no threads yet")
    return html_page(state, f"Threads ({len(found)})", body, live=live)


def _thread(state: EmulatorState, thread_id: str) -> tuple[Obj, list[Obj], list[Obj]] | None:
    thread = state.store.get(threads.THREAD, thread_id)
    if thread is None:
        return None
    runs = run_lifecycle.runs_of(state, thread_id)
    return thread, threads.messages(state, thread_id), runs


@router.get("/threads/{thread_id}", response_class=HTMLResponse)
async def thread_page(thread_id: str, state: EmulatorState = Depends(emulator)) -> HTMLResponse:
    """A thread: its messages and its runs."""
    found = await run_in_threadpool(_thread, state, thread_id)
    if found is None:
        return not_found(state, "thread", thread_id, LIST)
    thread, messages, runs = found
    summary = (
        f"<p>Created {timestamp(thread['created_at'])}; {len(messages)} messages, {len(runs)} runs; "
        f"metadata: {html.escape(plain(thread['metadata']))}</p>{_stores(thread)}"
    )
    message_rows = [
        (
            message["id"],
            message["role"],
            message["status"],
            Markup(f"<pre>{html.escape(run_prompt.message_text(message)[:SHOWN_TEXT])}</pre>"),
            message["run_id"] or "",
            when(message["created_at"]),
        )
        for message in messages
    ]
    run_rows = [
        (
            run["id"],
            badge(run["status"]),
            run["assistant_id"],
            run["model"],
            _usage(run["usage"]),
            _outcome(run),
            when(run["created_at"]),
        )
        for run in runs
    ]
    body = (
        summary
        + "<h2>Messages</h2>"
        + table(("id", "role", "status", "text", "run", "created"), message_rows)
        + "<h2>Runs</h2>"
        + table(("id", "status", "assistant", "model", "usage", "details", "created"), run_rows)
    )
    live = any(run["status"] not in run_lifecycle.TERMINAL for run in runs)
    return html_page(state, f"Thread {thread['id']}", body, crumbs=[LIST], live=live)


def _stores(thread: Obj) -> str:
    """The vector stores the thread's file search reads, linked to their pages."""
    store_ids = ((thread.get("tool_resources") or {}).get("file_search") or {}).get("vector_store_ids") or []
    if not store_ids:
        return ""
    links = ", ".join(str(link(to("storage", "vector_stores", store_id), store_id)) for store_id in store_ids)
    return f"<p>File search reads {links}.</p>"


def _usage(usage: dict[str, int] | None) -> str:
    if usage is None:
        return ""
    return f"{usage['prompt_tokens']} prompt + {usage['completion_tokens']} completion"


def _outcome(run: Obj) -> str:
    """What the run says beyond its status: its error, why it is incomplete, or the calls it waits for."""
    if run["last_error"]:
        return f"{run['last_error']['code']}: {run['last_error']['message']}"
    if run["incomplete_details"]:
        return f"incomplete: {run['incomplete_details']['reason']}"
    action: Any = run["required_action"]
    if action:
        calls = action["submit_tool_outputs"]["tool_calls"]
        return "waits for " + ", ".join(
            f"{call['function']['name']}({json.loads(call['function']['arguments'])}) [{call['id']}]"
            for call in calls
        )
    return ""
