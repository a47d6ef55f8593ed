"""A dashboard page per thread: `/_emulator/dashboard/threads/{thread_id}`.

It stands in for `https://platform.openai.com/threads/{thread_id}`, so a link to a thread
opens something real against the emulator: the thread's messages, oldest first, with
their text, and its runs with their status, usage, error and the tool calls they wait
for, as of now on the emulator's clock.
"""

from __future__ import annotations

import html
import json
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.assistants import run_lifecycle, run_prompt
from airflow_openai.emulator.assistants import thread_messages as threads
from airflow_openai.emulator.core.html import Markup, html_page, plain, table, timestamp
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.core.web import emulator

router = APIRouter(prefix="/_emulator/dashboard")

SHOWN_TEXT = 2000
"""Characters of a message shown."""


def _thread(state: EmulatorState, thread_id: str) -> tuple[Obj, list[Obj], list[Obj]] | None:
    thread = state.store.get(threads.THREAD, thread_id)
    if thread is None:
        return None
    runs = run_lifecycle.runs_of(state, thread_id)
    return thread, threads.messages(state, thread_id), runs


@router.get("/threads/{thread_id}", response_class=HTMLResponse)
async def thread_page(thread_id: str, state: EmulatorState = Depends(emulator)) -> HTMLResponse:
    found = await run_in_threadpool(_thread, state, thread_id)
    if found is None:
        return html_page("Thread not found", f"<p>No thread {html.escape(thread_id)}.</p>", 404)
    thread, messages, runs = found
    summary = (
        f"<p>Created {timestamp(thread['created_at'])}; {len(messages)} messages, {len(runs)} runs; "
        f"metadata: {html.escape(plain(thread['metadata']))}</p>"
    )
    message_rows = [
        (
            message["id"],
            message["role"],
            message["status"],
            Markup(f"<pre>{html.escape(run_prompt.message_text(message)[:SHOWN_TEXT])}</pre>"),
            message["run_id"] or "",
            timestamp(message["created_at"]),
        )
        for message in messages
    ]
    run_rows = [
        (
            run["id"],
            run["status"],
            run["assistant_id"],
            run["model"],
            _usage(run["usage"]),
            _outcome(run),
            timestamp(run["created_at"]),
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
    return html_page(f"Thread {thread['id']}", body)


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
