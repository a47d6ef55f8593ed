"""What a run's turn of work does as it ends, and what ending does to a run (the moves themselves
are the table in `run_lifecycle`).

A turn ends one of these ways, checked in this order:
- the prompt does not fit what is left of `max_prompt_tokens`, even truncated to the last
  message: `incomplete`, `incomplete_details.reason` `max_prompt_tokens`;
- the run calls functions (see `tool_calls`): a `tool_calls` step `in_progress` and
  `requires_action` with the calls to answer;
- the responder answers (see `run_prompt`): an assistant message and a `message_creation`
  step, and `completed`; or, when the answer needs more than is left of
  `max_completion_tokens`, the message cut there and `incomplete` (reason `max_tokens` on
  the message, `max_completion_tokens` on the run). A responder refusing the request fails
  the run (`invalid_prompt` for a 4xx, `rate_limit_exceeded` for a 429, else `server_error`).
"""

from __future__ import annotations

from typing import Any

from airflow_openai.emulator.assistants import run_prompt, tool_calls
from airflow_openai.emulator.assistants.thread_messages import messages, steps_kind, written_message
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj

FAILURE_MESSAGES = {
    "server_error": "Sorry, something went wrong.",
    "rate_limit_exceeded": "You exceeded your current quota, please check your plan and billing details.",
    "invalid_prompt": "Invalid prompt: your prompt was flagged as potentially violating our usage policy.",
}
_STEP_ENDS = {"cancelled": "cancelled_at", "expired": "expired_at", "failed": "failed_at"}


def finish_turn(state: EmulatorState, run: Obj, at: int) -> str:
    """The turn's work, done as it ends: the status the run is in after it (see `run_lifecycle`)."""
    thread = messages(state, run["thread_id"])
    calls = run["_calls"]
    spent_prompt = run["_prompt_tokens"]
    budget = None if run["max_prompt_tokens"] is None else run["max_prompt_tokens"] - spent_prompt
    fixed = run_prompt.prompt_tokens(run["instructions"], [], calls)
    kept = run_prompt.fitted(thread, run["truncation_strategy"], fixed, budget)
    if kept is None:
        _end(state, run, "incomplete", at, reason="max_prompt_tokens")
        return "incomplete"
    prompt = run_prompt.prompt_tokens(run["instructions"], kept, calls)
    last_user = run_prompt.last_user_text(thread)
    if calls is None:
        wanted = tool_calls.chosen(run["tools"], run["tool_choice"], run["parallel_tool_calls"], last_user)
        if wanted:
            made = tool_calls.calls(wanted, last_user, lambda: state.ids.new("call_"))
            return _require_action(state, run, made, prompt, at)
    return _answer(state, run, kept, calls, prompt, at)


def _require_action(state: EmulatorState, run: Obj, calls: list[dict[str, Any]], prompt: int, at: int) -> str:
    completion = run_prompt.calls_tokens(calls)
    run["_prompt_tokens"] += prompt
    left = _left(run)
    if left is not None and completion > left:
        run["_completion_tokens"] += left
        _end(state, run, "incomplete", at, reason="max_completion_tokens")
        return "incomplete"
    run["_completion_tokens"] += completion
    step = _step(
        state,
        run,
        "tool_calls",
        {"type": "tool_calls", "tool_calls": [with_output(call, None) for call in calls]},
        status="in_progress",
    )
    step["_usage"] = _usage(prompt, completion)
    state.store.put(steps_kind(run["id"]), step)
    run.update(
        required_action={"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": calls}},
        _calls=calls,
        _step=step["id"],
    )
    return "requires_action"


def with_output(call: dict[str, Any], output: str | None) -> dict[str, Any]:
    return {**call, "function": {**call["function"], "output": output}}


def _answer(
    state: EmulatorState, run: Obj, kept: list[Obj], calls: list[dict[str, Any]] | None, prompt: int, at: int
) -> str:
    body = run_prompt.chat_body(run, kept, calls)
    try:
        status, reply = state.respond("/v1/chat/completions", body)
    except Exception as exc:  # noqa: BLE001 - a custom responder's crash is the run's server error
        status, reply = 500, {"error": {"message": f"The model failed: {exc}"}}
    if status != 200:
        _fail(state, run, at, _refused(status, reply))
        return "failed"
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
    outcome = "incomplete" if cut else "completed"
    _end(state, run, outcome, at, reason="max_completion_tokens" if cut else None)
    return outcome


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


def fail_planned(state: EmulatorState, run: Obj, at: int) -> None:
    """The failure planned for the run strikes as its turn ends."""
    _fail(state, run, at, run["_fail"])


def ended(state: EmulatorState, run: Obj, at: int) -> None:
    """The run has ended otherwise than by a turn (expired, cancelled)."""
    _end(state, run, run["status"], at)


def _fail(state: EmulatorState, run: Obj, at: int, failure: dict[str, Any]) -> None:
    run["last_error"] = {"code": failure["code"], "message": failure["message"]}
    _end(state, run, "failed", at)


def _end(state: EmulatorState, run: Obj, status: str, at: int, reason: str | None = None) -> None:
    """The run ends `status` at `at` (the table stamps its `*_at`); the step waiting for tool outputs,
    if any, ends with it."""
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
