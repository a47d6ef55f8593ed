"""`OpenAIAssistantRunOperator`: messages in, an assistant's answer out, its tool calls answered by your code."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_openai.links import DASHBOARD_XCOM_KEY, THREAD_XCOM_KEY, OpenAIThreadLink
from airflow_openai.operators.job import OpenAIJobOperator
from airflow_openai.outage import waited_out
from airflow_openai.runs.record import RunRecord

FINAL = frozenset({"incomplete", "cancelled"})
"""Endings that fail the task without a retry: token limits would end the same way again, and a
cancellation was someone's decision (see `runs.start.RESTARTABLE` for those a retry starts afresh)."""


class OpenAIAssistantRunOperator(OpenAIJobOperator):
    """Run an assistant on messages and wait for its answer, answering its tool calls in the worker.

    ``messages`` (a string, a list of strings, or of ``{"role", "content"}`` dicts; templated,
    or from XCom) are added to ``thread_id``'s thread, or to a new thread. The run is created
    on ``assistant_id`` (``run_parameters`` holds the spec's other fields: ``instructions``,
    ``additional_instructions``, ``model``, ``tools``, ``max_completion_tokens``…) and waited
    for in the worker or, with ``deferrable=True``, in the triggerer.

    The assistant is read first: one that does not exist (or that the connection's key cannot
    see) fails the task without a retry, naming it and the connection, before anything is made.

    When the run needs tool outputs, ``tool_handler(tool_call) -> str`` answers each call
    (``{"id", "name", "arguments"}``, the arguments as the JSON text the model wrote) — always
    in the worker, never in the triggerer: the trigger fires, the task resumes, submits the
    outputs and defers again. A handler's non-string answer is sent as JSON; an answer holding a
    lone surrogate (no request can carry one) fails the task without a retry, naming the call. Without a handler a run
    that needs tool outputs fails the task naming the tools waiting.

    The handler runs at most once per tool call id: its answer goes to the task state store
    before it is submitted, so a retry, or a deferral resumed again (a restarted triggerer),
    submits that answer and never calls the handler again for the call — whatever ended the
    attempt after the handler returned (the submission refused or its answer lost, a worker
    killed). A run that already took the outputs, and so refuses them again, counts as answered.
    Only a handler that raises, or a worker killed while the handler runs, leaves the call
    unanswered, and the next try calls the handler again for it: key a side effect by the call's
    ``id`` to be safe then too. A run that expired before its outputs were sent is started
    afresh by a retry, and its new calls (new ids) are answered afresh.

    A retried task does not pay twice: the thread and the run go to the task state store, and a
    retry reattaches to its run (a run that failed or expired is started afresh on the same
    thread, without adding the messages again). A new thread is made bare and the
    messages go in with the run, so a lost answer to making the thread leaves at most an empty
    thread (said in the log), never the messages twice. Only a task that is really being
    stopped cancels its run. Returned (XCom): ``thread_id``, ``run_id``, ``status``,
    ``messages`` (the assistant's messages of this run, their text), ``tool_calls_answered`` and
    ``usage``.

    :param assistant_id: the assistant (templated).
    :param messages: what to ask (templated).
    :param thread_id: an existing thread to add the messages to (templated); default a new one.
    :param run_parameters: other fields of the run, as the spec names them (templated).
    :param tool_handler: answers a tool call in the worker, at most once per tool call id.
    :param max_tool_rounds: how many times the run may ask for tool outputs before the task gives up.
    :param wait_for_completion: False creates the run and returns its ids at once.
    :param poll_interval: shortest wait between polls, in seconds (1).
    :param max_poll_interval: longest wait between polls, in seconds (60).
    :param timeout: seconds the whole wait may take, tool rounds and deferrals included.

    The other waiting parameters (``deferrable``, ``cancel_on_timeout``, ``cancel_on_kill``,
    ``outage_budget``) are those of `OpenAIJobOperator`.
    """

    template_fields: Sequence[str] = ("assistant_id", "messages", "thread_id", "run_parameters")
    template_fields_renderers = {"messages": "json", "run_parameters": "json"}
    operator_extra_links = (OpenAIThreadLink(),)
    ui_color = "#f8eee0"
    default_poll_interval, default_max_poll_interval = 1.0, 60.0
    kind_name = "run"
    record_type = RunRecord

    def __init__(
        self,
        *,
        assistant_id: str,
        messages: Any,
        thread_id: str | None = None,
        run_parameters: Mapping[str, Any] | None = None,
        tool_handler: Callable[[dict[str, Any]], Any] | None = None,
        max_tool_rounds: int = 10,
        wait_for_completion: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if max_tool_rounds < 1:
            raise ValueError("max_tool_rounds must be 1 or more")
        self.assistant_id = assistant_id
        self.messages = messages
        self.thread_id = thread_id
        self.run_parameters = dict(run_parameters or {})
        self.tool_handler = tool_handler
        self.max_tool_rounds = max_tool_rounds
        self.wait_for_completion = wait_for_completion

    # -- the run -------------------------------------------------------------------------------------

    def execute(self, context: Any) -> Any:
        from airflow_openai.runs.messages import InvalidMessages, as_messages, unsendable

        self.remember_task(context)
        try:
            messages = as_messages(self.messages)
        except InvalidMessages as exc:
            raise AirflowFailException(str(exc)) from None
        fault = unsendable(self.run_parameters, "run_parameters")
        if fault is not None:
            raise AirflowFailException(f"{fault}; nothing was created")
        thread_id, run_id = self._start(context, messages)
        self._ref = {"ids": [run_id], "thread_id": thread_id}  # what on_kill cancels, from now on
        context["ti"].xcom_push(key=THREAD_XCOM_KEY, value=thread_id)
        context["ti"].xcom_push(key=DASHBOARD_XCOM_KEY, value=self.hook.settings.dashboard_url or "")
        if not self.wait_for_completion:
            return {"thread_id": thread_id, "run_id": run_id}
        return self._wait(context, thread_id, run_id, started_at=self._wait_started(context, fresh=True))

    def finish(self, context: Any, event: dict[str, Any], resume: dict[str, Any]) -> Any:
        """Tool calls are answered here, in the worker, and the wait goes on; a run that ended well
        is collected; one that ended incomplete or cancelled fails for good (it would again)."""
        thread_id, run_id = str(event["thread_id"]), str(event["run_id"])
        if event["status"] == "action":
            if not self._answer(context, thread_id, run_id, list(event.get("tool_calls") or [])):
                time.sleep(self.poll_interval)  # answered already: the run has not taken them in yet
            return self._wait(context, thread_id, run_id, started_at=self._wait_started(context))
        if event["status"] != "success":
            final = event.get("run_status") in FINAL
            raise (AirflowFailException if final else AirflowException)(str(event["message"]))
        return self._collect(context, thread_id, run_id)

    # -- steps ---------------------------------------------------------------------------------------

    def _start(self, context: Any, messages: list[dict[str, Any]]) -> tuple[str, str]:
        """The thread and the run: recorded by an earlier attempt, found on the thread by this task's
        tags (an attempt that died before recording it), or made now (see `runs.start`), once the
        assistant was found.

        A new thread is made bare, and the messages go in with the run (`additional_messages`), in
        one request and once. What is made goes to the task state record as it is made, so a start
        run again after an outage, or a retry, goes on from there.
        """
        from airflow_openai.runs.start import AssistantNotFound, RunRequest, run_tags, start_run

        request = RunRequest(
            assistant_id=self.assistant_id,
            messages=messages,
            thread_id=str(self.thread_id) if self.thread_id else None,
            run_parameters=dict(self.run_parameters),
        )
        record = self.record(context)
        tags = run_tags(self._identity)
        try:
            return self._call(
                lambda: start_run(self.hook, request, tags, record, self.log),
                "Starting the run (or reattaching to it)",
            )
        except AssistantNotFound as exc:
            raise AirflowFailException(
                f"Assistant {exc.assistant_id!r} was not found with connection {self.openai_conn_id!r}: it "
                "does not exist, or the connection's key (its organization or project) cannot see it "
                f"({exc.error}). Nothing was created, and the task is not retried: it would fail the same way"
            ) from None

    def _wait_started(self, context: Any, fresh: bool = False) -> float:
        """When this attempt began waiting: `timeout` bounds the whole wait, tool rounds and the
        deferrals between them included (a retry is a new attempt, with a new wait)."""
        attempt = getattr(context.get("ti"), "try_number", 1)
        state = self.record(context).read()
        if not fresh and state.wait_attempt == attempt and state.wait_started:
            return state.wait_started
        started = time.time()
        self.record(context).update(wait_started=started, wait_attempt=attempt)
        return started

    def _wait(self, context: Any, thread_id: str, run_id: str, started_at: float) -> Any:
        return self.wait_for(context, {"ids": [run_id], "thread_id": thread_id}, started_at=started_at)

    def _answer(self, context: Any, thread_id: str, run_id: str, calls: list[dict[str, Any]]) -> bool:
        """Answer the run's tool calls with the handler, here in the worker, and submit the outputs.

        At most once per call (see `runs.answers`): an answer an earlier attempt wrote down is
        submitted as it is, and calls whose outputs the run took (a run read again before it took
        them in, a deferral resumed twice) are not answered again: the wait simply goes on.
        """
        from airflow_openai.runs.answers import ToolHandlerFailed, answer_calls, submit_answers

        record = self.record(context)
        state = record.read()
        calls = [call for call in calls if str(call.get("id")) not in set(state.answered_calls)]
        if not calls:
            return False
        fresh = [call for call in calls if str(call.get("id")) not in state.answers]
        if fresh and self.tool_handler is None:
            names = ", ".join(f"{call.get('name')}({call.get('id')})" for call in fresh)
            raise AirflowFailException(
                f"Run {run_id} waits on tool outputs for {names}, and the task has no tool_handler to answer them"
            )
        rounds = state.rounds + 1 if len(fresh) == len(calls) else state.rounds  # a round is counted once
        if rounds > self.max_tool_rounds:
            self.cancel(
                {"ids": [run_id], "thread_id": thread_id},
                f"it asked for tool outputs more than max_tool_rounds={self.max_tool_rounds} times",
            )
            raise AirflowFailException(
                f"Run {run_id} asked for tool outputs more than {self.max_tool_rounds} times; it was cancelled"
            )
        try:
            outputs = answer_calls(calls, self.tool_handler, record, rounds, self.log)
        except ToolHandlerFailed as exc:
            raise AirflowException(str(exc)) from exc.__cause__
        taken = {output["tool_call_id"] for output in outputs}
        # A refusal (`AnswersRefused`) fails this attempt; the retry submits the kept answers.
        self._call(
            lambda: submit_answers(self.hook, thread_id, run_id, outputs, self.log),
            "Submitting the tool outputs",
        )
        state = record.read()
        record.update(
            rounds=rounds,
            answered_calls=sorted(set(state.answered_calls) | taken),
            answers={key: value for key, value in state.answers.items() if key not in taken},
        )
        return True

    def _collect(self, context: Any, thread_id: str, run_id: str) -> dict[str, Any]:
        """The assistant's messages of this run, oldest first, and the run's usage."""
        from airflow_openai.runs.messages import message_text

        run = self._call(lambda: self.hook.get_run(thread_id, run_id), f"Reading run {run_id}")
        listed = self._call(
            lambda: list(self.hook.list_messages(thread_id, run_id=run_id, order="asc")), "Reading the answer"
        )
        texts = [message_text(message) for message in listed if getattr(message, "role", "") == "assistant"]
        usage = run.usage.model_dump() if getattr(run, "usage", None) is not None else None
        for text in texts:
            self.log.info("Assistant: %s", text[:500])
        return {
            "thread_id": thread_id,
            "run_id": run_id,
            "status": run.status,
            "messages": texts,
            "tool_calls_answered": len(self.record(context).read().answered_calls),
            "usage": usage,
        }

    def lineage_report(self, result: Any) -> Any:
        """The run, its thread and the tokens it spent."""
        from airflow_openai.lineage import TaskReport, usage_tokens

        if not isinstance(result, dict):
            return None
        return TaskReport(
            facts={"run_id": result.get("run_id"), "thread_id": result.get("thread_id")},
            tokens=usage_tokens(result.get("usage")),
            created={"runs": 1},
        )

    def _call(self, step: Any, what: str) -> Any:
        return waited_out(step, what, budget=self.outage_budget)
