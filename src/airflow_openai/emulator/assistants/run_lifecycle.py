"""How a run moves on, on the emulator's clock: queued → in_progress → completed, or requires_action,
incomplete, failed, expired, cancelling → cancelled.

The moves are the table `RUN` below (see `core.lifecycle`); what a turn does as it ends is in
`run_turns`. As with batches and fine-tuning jobs, they are taken on the emulated clock when a
run (or its thread's messages, or its steps) is read, so time can run fast, be advanced at
will, and survive a restart. In emulated seconds: a run waits `QUEUED_SECONDS` (1 s) in the
queue, and each turn of work takes `TURN_SECONDS` (2 s). A plain run is thus completed 3 s
after it was created, a few hundredths of a second at the default speed.

A turn ends `failed` with `last_error {code, message}` when a failure was planned for the run
(`/_emulator/faults/runs`); else as its work says (`run_turns`): `requires_action` with the
function calls to answer (once every output is submitted, the run is `queued` again and its
next turn answers), `completed`, `incomplete` or `failed`.

A run not finished by `expires_at` (`EXPIRES_SECONDS`, 10 minutes, after it was created, as
the service's) is `expired`, and the step waiting for tool outputs with it: advancing the
clock 600 s makes a run waiting for outputs expire at once. A cancel makes the run
`cancelling` for `CANCELLING_SECONDS` (1 s), then `cancelled`. `usage` sums every turn's
tokens once the run has ended, and is null until then; `expires_at` is null once it has
ended, except for an expired run.
"""

from __future__ import annotations

from typing import Any

from airflow_openai.emulator.assistants import run_turns as turns
from airflow_openai.emulator.assistants.thread_messages import RUN as RUN_KIND
from airflow_openai.emulator.assistants.thread_messages import steps_kind
from airflow_openai.emulator.core.errors import bad_request
from airflow_openai.emulator.core.lifecycle import Lifecycle, Transition
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj

QUEUED_SECONDS = 1
TURN_SECONDS = 2
CANCELLING_SECONDS = 1
EXPIRES_SECONDS = 600
FAILURE_MESSAGES = turns.FAILURE_MESSAGES
WAITING = ("queued", "in_progress", "requires_action")
"""The statuses of a run not yet ended nor being cancelled."""


def _failure_planned(state: EmulatorState, run: Obj) -> bool:
    return run["_fail"] is not None


def _turn_started(state: EmulatorState, run: Obj, at: int) -> None:
    run["started_at"] = run["started_at"] or at


RUN = Lifecycle(
    transitions=(
        Transition(WAITING, "expired", by="expires_at", enter=turns.ended),
        Transition("queued", "in_progress", after=QUEUED_SECONDS, enter=_turn_started),
        Transition(
            "in_progress", "failed", after=TURN_SECONDS, when=_failure_planned, enter=turns.fail_planned
        ),
        Transition(
            "in_progress",
            ("requires_action", "completed", "incomplete", "failed"),
            after=TURN_SECONDS,
            enter=turns.finish_turn,
        ),
        Transition("requires_action", "queued", on="submit_tool_outputs"),
        Transition(WAITING, "cancelling", on="cancel"),
        Transition("cancelling", "cancelled", after=CANCELLING_SECONDS, enter=turns.ended),
    ),
    stamps={
        "queued": "_queued_at",
        "in_progress": "_turn_started_at",
        "cancelling": "_cancelling_at",
        "cancelled": "cancelled_at",
        "failed": "failed_at",
        "completed": "completed_at",
    },
)
"""A run's moves on the emulated clock (expiry first when it ties with a turn's end); requests ask for
the two not on it."""
TERMINAL = RUN.terminal


def create(state: EmulatorState, thread: Obj, assistant: Obj, settings: dict[str, Any]) -> Obj:
    """A run of `assistant` on `thread`, queued; `settings` are its model, instructions, tools and options as
    the run shows them. It takes the failure planned for the next run, if any."""
    now = state.now()
    failure = state.faults.next_run_failure()
    run: Obj = {
        "id": state.ids.new("run_"),
        "object": "thread.run",
        "created_at": now,
        "assistant_id": assistant["id"],
        "thread_id": thread["id"],
        "status": "queued",
        "required_action": None,
        "last_error": None,
        "expires_at": now + EXPIRES_SECONDS,
        "started_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "incomplete_details": None,
        "usage": None,
        **settings,
        "_queued_at": now,
        "_turn_started_at": None,
        "_calls": None,
        "_step": None,
        "_fail": None if failure is None else failure.to_dict(),
        "_cancelling_at": None,
        "_prompt_tokens": 0,
        "_completion_tokens": 0,
    }
    return state.store.put(RUN_KIND, run)


def advance(state: EmulatorState, run: Obj) -> Obj:
    """The run as of now on the emulated clock, saved when it moved."""
    with state.lock:
        fresh = state.store.get(RUN_KIND, run["id"]) or run
        return state.store.put(RUN_KIND, fresh) if RUN.advance(state, fresh, state.clock.now()) else fresh


def runs_of(state: EmulatorState, thread_id: str) -> list[Obj]:
    """The thread's runs as of now, newest first."""
    with state.lock:
        return [
            run if run["status"] in TERMINAL else advance(state, run)
            for run in state.store.all(RUN_KIND)
            if run["thread_id"] == thread_id
        ]


def active_run(state: EmulatorState, thread_id: str) -> Obj | None:
    """The run still going on the thread, if any (a thread has at most one)."""
    return next((run for run in runs_of(state, thread_id) if run["status"] not in TERMINAL), None)


def steps(state: EmulatorState, run: Obj) -> list[Obj]:
    """The run's steps, newest first (bring the run up to date first)."""
    return state.store.all(steps_kind(run["id"]))


def submit_tool_outputs(state: EmulatorState, run: Obj, outputs: list[tuple[str, str]]) -> Obj:
    """Answer the run's tool calls, each exactly once, in one request; the run is queued for its next turn."""
    with state.lock:
        run = advance(state, run)
        if run["status"] != "requires_action":
            raise bad_request(f'Runs in status "{run["status"]}" do not accept tool outputs.')
        expected = [call["id"] for call in run["_calls"]]
        given = [call_id for call_id, _ in outputs]
        for index, call_id in enumerate(given):
            param = f"tool_outputs[{index}].tool_call_id"
            if call_id not in expected:
                raise bad_request(
                    f"Invalid tool_call_id: '{call_id}' is not a tool call this run is waiting for.",
                    param=param,
                    code="invalid_value",
                )
            if given.count(call_id) > 1:
                raise bad_request(
                    f"Duplicate tool_call_id: '{call_id}' is answered more than once.",
                    param=param,
                    code="invalid_value",
                )
        missing = [call_id for call_id in expected if call_id not in given]
        if missing:
            raise bad_request(
                f"Expected tool outputs for call_ids {expected}, got {given}; missing {missing}.",
                param="tool_outputs",
                code="invalid_value",
            )
        now = state.now()
        answers = dict(outputs)
        run["_calls"] = [turns.with_output(call, answers[call["id"]]) for call in run["_calls"]]
        step = state.store.get(steps_kind(run["id"]), run["_step"])
        if step is not None:
            step.update(status="completed", completed_at=now, usage=step["_usage"])
            step["step_details"]["tool_calls"] = run["_calls"]
            state.store.put(steps_kind(run["id"]), step)
        run.update(required_action=None, _step=None)
        RUN.take(state, run, "queued", now)
        state.store.put(RUN_KIND, run)
        return advance(state, run)


def cancel(state: EmulatorState, run: Obj) -> Obj:
    """Start cancelling: `cancelled` `CANCELLING_SECONDS` from now. Again while cancelling is harmless; a run
    that has ended is a 400."""
    with state.lock:
        run = advance(state, run)
        if run["status"] == "cancelling":
            return run
        if RUN.take(state, run, "cancelling", state.now()) is None:
            raise bad_request(f"Cannot cancel run with status '{run['status']}'.")
        return state.store.put(RUN_KIND, run)


def plan_failure(state: EmulatorState, run: Obj, failure: dict[str, Any]) -> Obj:
    """Make the run fail when its current (or next) turn ends; a run that has ended, or is being cancelled,
    is a 400."""
    with state.lock:
        run = advance(state, run)
        if run["status"] in TERMINAL or run["status"] == "cancelling":
            raise bad_request(f"Run {run['id']} is {run['status']}: it cannot be made to fail.")
        run["_fail"] = failure
        return state.store.put(RUN_KIND, run)
