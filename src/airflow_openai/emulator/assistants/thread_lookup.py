"""Finding what an Assistants API path names: a thread, one of its messages, one of its runs, a run's step.

Each is a 404 when it does not exist or belongs to another thread (or run). A run is
brought up to date on the emulator's clock before it is answered.
"""

from __future__ import annotations

from airflow_openai.emulator.assistants import run_lifecycle
from airflow_openai.emulator.assistants.thread_messages import RUN, THREAD, messages_kind, steps_kind
from airflow_openai.emulator.core.errors import not_found
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj


def thread_or_404(state: EmulatorState, thread_id: str) -> Obj:
    thread = state.store.get(THREAD, thread_id)
    if thread is None:
        raise not_found("thread", thread_id)
    return thread


def message_or_404(state: EmulatorState, thread_id: str, message_id: str) -> Obj:
    thread_or_404(state, thread_id)
    run_lifecycle.runs_of(state, thread_id)  # a run finishing now writes its message
    message = state.store.get(messages_kind(thread_id), message_id)
    if message is None:
        raise not_found("message", message_id)
    return message


def run_or_404(state: EmulatorState, thread_id: str, run_id: str) -> Obj:
    """The run as of now."""
    thread_or_404(state, thread_id)
    run = state.store.get(RUN, run_id)
    if run is None or run["thread_id"] != thread_id:
        raise not_found("run", run_id)
    return run_lifecycle.advance(state, run)


def step_or_404(state: EmulatorState, thread_id: str, run_id: str, step_id: str) -> Obj:
    run_or_404(state, thread_id, run_id)
    step = state.store.get(steps_kind(run_id), step_id)
    if step is None:
        raise not_found("run step", step_id)
    return step
