"""Answering a run's tool calls at most once per call: the handler's answer is written down before it is
submitted, and a submission the run refuses because it already took the outputs counts as done.

A tool handler acts on the world (it sends an email, refunds an order, writes a row), so it must
not run twice for one call. What can end an attempt after the handler returned — the submission
failing, its answer lost, a worker killed, a deferral resumed twice — must therefore find the
answer again, not ask the handler again: `answer_calls` writes each answer to the task record
(`RunRecord.answers`) as soon as the handler returns, and uses a written answer instead of the
handler from then on. `submit_answers` sends them; when the run refuses them and is no longer
waiting on those calls, it took them already (an earlier submission went through, its answer
lost or its success never recorded): that is done, not a failure.

What stays open: a handler that raises, or a worker killed while the handler runs, leaves no
answer, and the next try calls the handler again for that call. The call's ``id`` is what a
handler can key its side effect by, to be safe then too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from airflow_openai.client.errors import APIStatusError, UnencodableTextError
from airflow_openai.records import RecordStore
from airflow_openai.runs.record import RunRecord

log = logging.getLogger(__name__)

REFUSED = frozenset({400, 409})
"""How the API refuses outputs a run does not wait for (it took them, or it ended)."""
ENDED = frozenset({"expired", "cancelled", "cancelling", "failed", "incomplete"})


class ToolHandlerFailed(Exception):
    """The handler raised on a call; the message names it. Answers given before it are kept."""


class AnswersRefused(Exception):
    """A run still waiting on the calls refused their outputs; the answers are kept for a retry."""


def as_output(answer: Any, label: str) -> str:
    """The handler's answer as the output text the API takes (a non-string answer is sent as JSON).

    An answer that is not UTF-8 text (a lone surrogate) can be neither sent nor kept: it is
    refused as every unsendable request is (`UnencodableTextError`, which fails the task without
    a retry), rather than changed behind the handler's back."""
    from airflow_openai.client.text import text_fault

    text = answer if isinstance(answer, str) else json.dumps(answer, default=str)
    reason = text_fault(text)
    if reason is not None:
        raise UnencodableTextError(
            f"the outputs of tool_handler: its answer to {label}",
            "output",
            f"{reason} (the handler ran once)",
        )
    return text


def answer_calls(
    calls: list[dict[str, Any]],
    handler: Callable[[dict[str, Any]], Any] | None,
    record: RecordStore[RunRecord],
    rounds: int,
    logger: Any = log,
) -> list[dict[str, str]]:
    """One ``{"tool_call_id", "output"}`` per call: the answer an earlier attempt wrote down, or the
    handler's, written down (with `rounds`) before the next call is answered."""
    answers = dict(record.read().answers)
    outputs = []
    for call in calls:
        call_id, label = str(call["id"]), f"{call.get('name')}({call.get('id')})"
        if call_id in answers:
            logger.info(
                "%s was answered by an earlier attempt (%d characters): submitting that answer, "
                "not calling tool_handler again",
                label,
                len(answers[call_id]),
            )
        else:
            if handler is None:
                raise ToolHandlerFailed(f"{label} has no answer, and there is no tool_handler")
            try:
                answer = handler(dict(call))
            except Exception as exc:
                raise ToolHandlerFailed(
                    f"tool_handler failed on {label}: {type(exc).__name__}: {exc}; "
                    "the run waits, and a retry answers it again"
                ) from exc
            output = as_output(answer, label)
            answers[call_id] = output
            record.update(answers=answers, rounds=rounds)  # before anything can fail: never asked again
            logger.info("Answered %s with %d characters", label, len(output))
        outputs.append({"tool_call_id": call_id, "output": answers[call_id]})
    return outputs


def submit_answers(
    hook: Any, thread_id: str, run_id: str, outputs: list[dict[str, str]], logger: Any = log
) -> None:
    """Submit the outputs. A refusal from a run no longer waiting on these calls is not an error: it
    took them already, or it ended (the wait that follows says how). A run still waiting on them
    refused them for another reason, raised."""
    try:
        hook.submit_tool_outputs(thread_id, run_id, outputs)
        return
    except APIStatusError as exc:
        if exc.status_code not in REFUSED:
            raise
        refusal = exc
    run = hook.get_run(thread_id, run_id)
    submitted = {output["tool_call_id"] for output in outputs}
    waiting = {call.id for call in run.tool_calls} if run.status == "requires_action" else set()
    if submitted & waiting:
        raise AnswersRefused(
            f"Run {run_id} refused the tool outputs for {', '.join(sorted(submitted))}: {refusal}; the "
            "answers are kept in the task state store, and a retry submits them without calling "
            "tool_handler again"
        ) from refusal
    if run.status in ENDED:
        logger.warning(
            "Run %s is %s: it takes no tool outputs any more (%s)", run_id, run.status, refusal.message
        )
        return
    logger.info(
        "Run %s had already taken the outputs for %s (it is %s now): they were not sent again",
        run_id,
        ", ".join(sorted(submitted)),
        run.status,
    )
