"""Threads and their messages as stored: what a thread holds, what a message shows, and what goes when a
thread is deleted.

A thread's messages are a kind of their own (`thread.message@{thread_id}`), in the order
they were added, so a thread lists them without reading any other thread's. Text given as
a string is one text part with no annotations; image parts keep their `detail` (`auto`
unless given). A message someone adds is `completed` at once, with `completed_at` null
(nothing was generated); one a run writes has the run's and assistant's ids and its own
times.
"""

from __future__ import annotations

from typing import Any

from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj

THREAD = "thread"
RUN = "thread.run"


def messages_kind(thread_id: str) -> str:
    return f"thread.message@{thread_id}"


def steps_kind(run_id: str) -> str:
    return f"thread.run.step@{run_id}"


def render(obj: Obj) -> Obj:
    """An assistant, thread, message, run or step as the API shows it: private fields out, nulls kept (the
    spec requires most fields and makes them nullable)."""
    return {key: value for key, value in obj.items() if not key.startswith("_")}


def create_thread(
    state: EmulatorState, metadata: dict[str, str] | None, tool_resources: dict[str, Any]
) -> Obj:
    thread: Obj = {
        "id": state.ids.new("thread_"),
        "object": "thread",
        "created_at": state.now(),
        "metadata": metadata or {},
        "tool_resources": tool_resources,
    }
    return state.store.put(THREAD, thread)


def delete_thread(state: EmulatorState, thread_id: str) -> None:
    """The thread, its messages, its runs and their steps."""
    with state.lock:
        kind = messages_kind(thread_id)
        for message in state.store.all(kind):
            state.store.delete(kind, message["id"])
        for run in state.store.all(RUN):
            if run["thread_id"] == thread_id:
                for step in state.store.all(steps_kind(run["id"])):
                    state.store.delete(steps_kind(run["id"]), step["id"])
                state.store.delete(RUN, run["id"])
        state.store.delete(THREAD, thread_id)


def content(given: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Message content as the API shows it, from a string or the parts of a create request."""
    if isinstance(given, str):
        return [text_part(given)]
    shown: list[dict[str, Any]] = []
    for part in given:
        kind = part["type"]
        if kind == "text":
            shown.append(text_part(part["text"]))
        else:
            shown.append({"type": kind, kind: {**part[kind], "detail": part[kind].get("detail") or "auto"}})
    return shown


def text_part(value: str) -> dict[str, Any]:
    return {"type": "text", "text": {"value": value, "annotations": []}}


def add_message(
    state: EmulatorState,
    thread_id: str,
    *,
    role: str,
    parts: list[dict[str, Any]],
    attachments: list[dict[str, Any]] | None = None,
    metadata: dict[str, str] | None = None,
) -> Obj:
    """A message someone adds to the thread (`user` or `assistant`)."""
    message: Obj = {
        "id": state.ids.new("msg_"),
        "object": "thread.message",
        "created_at": state.now(),
        "thread_id": thread_id,
        "status": "completed",
        "incomplete_details": None,
        "completed_at": None,
        "incomplete_at": None,
        "role": role,
        "content": parts,
        "assistant_id": None,
        "run_id": None,
        "attachments": attachments or [],
        "metadata": metadata or {},
    }
    return state.store.put(messages_kind(thread_id), message)


def written_message(
    state: EmulatorState, run: Obj, text: str, *, started: int, ended: int, incomplete: str | None
) -> Obj:
    """The assistant's message a run writes: `completed`, or `incomplete` for `incomplete` reason."""
    message: Obj = {
        "id": state.ids.new("msg_"),
        "object": "thread.message",
        "created_at": started,
        "thread_id": run["thread_id"],
        "status": "completed" if incomplete is None else "incomplete",
        "incomplete_details": None if incomplete is None else {"reason": incomplete},
        "completed_at": ended if incomplete is None else None,
        "incomplete_at": ended if incomplete is not None else None,
        "role": "assistant",
        "content": [text_part(text)],
        "assistant_id": run["assistant_id"],
        "run_id": run["id"],
        "attachments": [],
        "metadata": {},
    }
    return state.store.put(messages_kind(run["thread_id"]), message)


def messages(state: EmulatorState, thread_id: str) -> list[Obj]:
    """The thread's messages, oldest first."""
    return state.store.all(messages_kind(thread_id), newest_first=False)
