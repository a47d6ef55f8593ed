"""How a run moves on, on the emulator's clock: queued → in_progress → completed, or requires_action,
incomplete, failed, expired, cancelling → cancelled.

As with batches and fine-tuning jobs, progress is computed from the emulated clock when a
run (or its thread's messages, or its steps) is read, so time can run fast, be advanced at
will, and survive a restart. In emulated seconds: a run waits `QUEUED_SECONDS` (1 s) in the
queue, and each turn of work takes `TURN_SECONDS` (2 s). A plain run is thus completed 3 s
after it was created, a few hundredths of a second at the default speed.

A turn ends one of these ways, checked in this order:
- a failure planned for the run (`/_emulator/faults/runs`) strikes: `failed` with
  `last_error {code, message}`;
- the prompt does not fit what is left of `max_prompt_tokens`, even truncated to the last
  message: `incomplete`, `incomplete_details.reason` `max_prompt_tokens`;
- the run calls functions (see `tool_calls`): a `tool_calls` step `in_progress` and
  `requires_action` with the calls to answer. Once every output is submitted, the run is
  `queued` again and its next turn answers;
- the responder answers (see `run_prompt`): an assistant message and a `message_creation`
  step, and `completed`; or, when the answer needs more than is left of
  `max_completion_tokens`, the message cut there and `incomplete` (reason `max_tokens` on
  the message, `max_completion_tokens` on the run). A responder refusing the request fails
  the run (`invalid_prompt` for a 4xx, `rate_limit_exceeded` for a 429, else `server_error`).

A run not finished by `expires_at` (`EXPIRES_SECONDS`, 10 minutes, after it was created, as
the service's) is `expired`, and the step waiting for tool outputs with it: advancing the
clock 600 s makes a run waiting for outputs expire at once. A cancel makes the run
`cancelling` for `CANCELLING_SECONDS` (1 s), then `cancelled`. `usage` sums every turn's
tokens once the run has ended, and is null until then; `expires_at` is null once it has
ended, except for an expired run.
"""

from __future__ import annotations

import math
from typing import Any

from airflow_openai.emulator.assistants import run_prompt, tool_calls
from airflow_openai.emulator.assistants.thread_messages import RUN, messages, steps_kind, written_message
from airflow_openai.emulator.core.errors import bad_request
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj

QUEUED_SECONDS = 1
TURN_SECONDS = 2
CANCELLING_SECONDS = 1
EXPIRES_SECONDS = 600
TERMINAL = frozenset({"cancelled", "failed", "completed", "incomplete", "expired"})
FAILURE_MESSAGES = {
    "server_error": "Sorry, something went wrong.",
    "rate_limit_exceeded": "You exceeded your current quota, please check your plan and billing details.",
    "invalid_prompt": "Invalid prompt: your prompt was flagged as potentially violating our usage policy.",
}
_STEP_ENDS = {"cancelled": "cancelled_at", "expired": "expired_at", "failed": "failed_at"}
_RUN_ENDS = {"cancelled": "cancelled_at", "failed": "failed_at", "completed": "completed_at"}


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
        "_cancel_at": None,
        "_prompt_tokens": 0,
        "_completion_tokens": 0,
    }
    return state.store.put(RUN, run)


def advance(state: EmulatorState, run: Obj) -> Obj:
    """The run as of now on the emulated clock, saved when it moved."""
    with state.lock:
        fresh = state.store.get(RUN, run["id"]) or run
        now = state.clock.now()
        moved = False
        while _move(state, fresh, now):
            moved = True
        return state.store.put(RUN, fresh) if moved else fresh


def runs_of(state: EmulatorState, thread_id: str) -> list[Obj]:
    """The thread's runs as of now, newest first."""
    with state.lock:
        return [
            run if run["status"] in TERMINAL else advance(state, run)
            for run in state.store.all(RUN)
            if run["thread_id"] == thread_id
        ]


def active_run(state: EmulatorState, thread_id: str) -> Obj | None:
    """The run still going on the thread, if any (a thread has at most one)."""
    return next((run for run in runs_of(state, thread_id) if run["status"] not in TERMINAL), None)


def steps(state: EmulatorState, run: Obj) -> list[Obj]:
    """The run's steps, newest first (bring the run up to date first)."""
    return state.store.all(steps_kind(run["id"]))


def _move(state: EmulatorState, run: Obj, now: float) -> bool:
    """Take the next transition due by `now`; False when none is."""
    status = run["status"]
    if status in TERMINAL:
        return False
    if status == "cancelling":
        if now < run["_cancel_at"]:
            return False
        _end(state, run, "cancelled", run["_cancel_at"])
        return True
    due: float = math.inf
    if status == "queued":
        due = run["_queued_at"] + QUEUED_SECONDS
    elif status == "in_progress":
        due = run["_turn_started_at"] + TURN_SECONDS
    if run["expires_at"] <= due:
        if now < run["expires_at"]:
            return False
        _end(state, run, "expired", run["expires_at"])
        return True
    if now < due:
        return False
    at = int(due)
    if status == "queued":
        run.update(status="in_progress", _turn_started_at=at)
        run["started_at"] = run["started_at"] or at
    else:
        _finish_turn(state, run, at)
    return True


def _finish_turn(state: EmulatorState, run: Obj, at: int) -> None:
    if run["_fail"] is not None:
        _fail(state, run, at, run["_fail"])
        return
    thread = messages(state, run["thread_id"])
    calls = run["_calls"]
    spent_prompt = run["_prompt_tokens"]
    budget = None if run["max_prompt_tokens"] is None else run["max_prompt_tokens"] - spent_prompt
    fixed = run_prompt.prompt_tokens(run["instructions"], [], calls)
    kept = run_prompt.fitted(thread, run["truncation_strategy"], fixed, budget)
    if kept is None:
        _end(state, run, "incomplete", at, reason="max_prompt_tokens")
        return
    prompt = run_prompt.prompt_tokens(run["instructions"], kept, calls)
    last_user = run_prompt.last_user_text(thread)
    if calls is None:
        wanted = tool_calls.chosen(run["tools"], run["tool_choice"], run["parallel_tool_calls"], last_user)
        if wanted:
            made = tool_calls.calls(wanted, last_user, lambda: state.ids.new("call_"))
            _require_action(state, run, made, prompt, at)
            return
    _answer(state, run, kept, calls, prompt, at)


def _require_action(
    state: EmulatorState, run: Obj, calls: list[dict[str, Any]], prompt: int, at: int
) -> None:
    completion = run_prompt.calls_tokens(calls)
    run["_prompt_tokens"] += prompt
    left = _left(run)
    if left is not None and completion > left:
        run["_completion_tokens"] += left
        _end(state, run, "incomplete", at, reason="max_completion_tokens")
        return
    run["_completion_tokens"] += completion
    step = _step(
        state,
        run,
        "tool_calls",
        {"type": "tool_calls", "tool_calls": [_with_output(call, None) for call in calls]},
        status="in_progress",
    )
    step["_usage"] = _usage(prompt, completion)
    state.store.put(steps_kind(run["id"]), step)
    run.update(
        status="requires_action",
        required_action={"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": calls}},
        _calls=calls,
        _step=step["id"],
    )


def _with_output(call: dict[str, Any], output: str | None) -> dict[str, Any]:
    return {**call, "function": {**call["function"], "output": output}}


def _answer(
    state: EmulatorState, run: Obj, kept: list[Obj], calls: list[dict[str, Any]] | None, prompt: int, at: int
) -> None:
    body = run_prompt.chat_body(run, kept, calls)
    try:
        status, reply = state.respond("/v1/chat/completions", body)
    except Exception as exc:  # noqa: BLE001 - a custom responder's crash is the run's server error
        status, reply = 500, {"error": {"message": f"The model failed: {exc}"}}
    if status != 200:
        _fail(state, run, at, _refused(status, reply))
        return
    content = reply["choices"][0]["message"].get("content") or ""
    text = run_prompt.answer(content, run["response_format"], calls)
    completion = run_prompt.tokens(text)
    left = _left(run)
    cut = left is not None and completion > left
    if cut:
        text, completion = run_prompt.cut(text, left or 0), left or 0
    run["_prompt_tokens"] += prompt
    run["_completion_tokens"] += completion
    message = written_message(
        state, run, text, started=run["_turn_started_at"], ended=at, incomplete="max_tokens" if cut else None
    )
    step = _step(
        state,
        run,
        "message_creation",
        {"type": "message_creation", "message_creation": {"message_id": message["id"]}},
        status="completed",
    )
    step.update(completed_at=at, usage=_usage(prompt, completion))
    state.store.put(steps_kind(run["id"]), step)
    if cut:
        _end(state, run, "incomplete", at, reason="max_completion_tokens")
    else:
        _end(state, run, "completed", at)


def _refused(status: int, reply: dict[str, Any]) -> dict[str, str]:
    """The run's `last_error` when the responder refuses its turn."""
    if status == 429:
        code = "rate_limit_exceeded"
    else:
        code = "invalid_prompt" if 400 <= status < 500 else "server_error"
    error = reply.get("error")
    message = error.get("message") if isinstance(error, dict) else None
    return {"code": code, "message": str(message or FAILURE_MESSAGES[code])}


def _left(run: Obj) -> int | None:
    """Completion tokens the run may still spend; None without a limit."""
    limit = run["max_completion_tokens"]
    return None if limit is None else max(0, limit - run["_completion_tokens"])


def _step(state: EmulatorState, run: Obj, kind: str, details: dict[str, Any], *, status: str) -> Obj:
    return {
        "id": state.ids.new("step_"),
        "object": "thread.run.step",
        "created_at": run["_turn_started_at"],
        "run_id": run["id"],
        "assistant_id": run["assistant_id"],
        "thread_id": run["thread_id"],
        "type": kind,
        "status": status,
        "cancelled_at": None,
        "completed_at": None,
        "expired_at": None,
        "failed_at": None,
        "last_error": None,
        "step_details": details,
        "usage": None,
        "metadata": {},
    }


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _fail(state: EmulatorState, run: Obj, at: int, failure: dict[str, Any]) -> None:
    run["last_error"] = {"code": failure["code"], "message": failure["message"]}
    _end(state, run, "failed", at)


def _end(state: EmulatorState, run: Obj, status: str, at: int, reason: str | None = None) -> None:
    """The run ends `status` at `at`; the step waiting for tool outputs, if any, ends with it."""
    run["status"] = status
    if status in _RUN_ENDS:
        run[_RUN_ENDS[status]] = at
    if status != "expired":
        run["expires_at"] = None
    if reason is not None:
        run["incomplete_details"] = {"reason": reason}
    run["required_action"] = None
    run["usage"] = _usage(run["_prompt_tokens"], run["_completion_tokens"])
    if run["_step"] is not None:
        step = state.store.get(steps_kind(run["id"]), run["_step"])
        if step is not None and step["status"] == "in_progress" and status in _STEP_ENDS:
            step.update(status=status, usage=step["_usage"])
            step[_STEP_ENDS[status]] = at
            state.store.put(steps_kind(run["id"]), step)
        run["_step"] = None


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
        run["_calls"] = [_with_output(call, answers[call["id"]]) for call in run["_calls"]]
        step = state.store.get(steps_kind(run["id"]), run["_step"])
        if step is not None:
            step.update(status="completed", completed_at=now, usage=step["_usage"])
            step["step_details"]["tool_calls"] = run["_calls"]
            state.store.put(steps_kind(run["id"]), step)
        run.update(status="queued", required_action=None, _queued_at=now, _step=None)
        state.store.put(RUN, run)
        return advance(state, run)


def cancel(state: EmulatorState, run: Obj) -> Obj:
    """Start cancelling: `cancelled` `CANCELLING_SECONDS` from now. Again while cancelling is harmless; a run
    that has ended is a 400."""
    with state.lock:
        run = advance(state, run)
        if run["status"] == "cancelling":
            return run
        if run["status"] in TERMINAL:
            raise bad_request(f"Cannot cancel run with status '{run['status']}'.")
        run.update(status="cancelling", _cancel_at=state.now() + CANCELLING_SECONDS)
        return state.store.put(RUN, run)


def plan_failure(state: EmulatorState, run: Obj, failure: dict[str, Any]) -> Obj:
    """Make the run fail when its current (or next) turn ends; a run that has ended, or is being cancelled,
    is a 400."""
    with state.lock:
        run = advance(state, run)
        if run["status"] in TERMINAL or run["status"] == "cancelling":
            raise bad_request(f"Run {run['id']} is {run['status']}: it cannot be made to fail.")
        run["_fail"] = failure
        return state.store.put(RUN, run)
