"""`OpenAIAssistantRunOperator`: messages in, an assistant's answer out, its tool calls answered by your code."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from airflow.sdk import conf
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_openai.links import DASHBOARD_XCOM_KEY, THREAD_XCOM_KEY, OpenAIThreadLink
from airflow_openai.operators.base import OpenAIBaseOperator
from airflow_openai.outage import DEFAULT_OUTAGE_BUDGET, OutageExceeded, waited_out

STATE_KEY = "openai_assistant_run"
RESTARTABLE = frozenset({"failed", "expired"})
"""Endings a retry may start afresh (a server error, outputs not sent in time) with a new run on the
same thread. `incomplete` (token limits) would end the same way again, and `cancelled` was
someone's decision: those fail the task without a retry."""
FINAL = frozenset({"incomplete", "cancelled"})
TAG_PREFIX = "airflow_"


class OpenAIAssistantRunOperator(OpenAIBaseOperator):
    """Run an assistant on messages and wait for its answer, answering its tool calls in the worker.

    ``messages`` (a string, a list of strings, or of ``{"role", "content"}`` dicts; templated,
    or from XCom) are added to ``thread_id``'s thread, or to a new thread. The run is created
    on ``assistant_id`` (``run_parameters`` holds the spec's other fields: ``instructions``,
    ``additional_instructions``, ``model``, ``tools``, ``max_completion_tokens``…) and waited
    for in the worker or, with ``deferrable=True``, in the triggerer.

    When the run needs tool outputs, ``tool_handler(tool_call) -> str`` answers each call
    (``{"id", "name", "arguments"}``, the arguments as the JSON text the model wrote) — always
    in the worker, never in the triggerer: the trigger fires, the task resumes, submits the
    outputs and defers again. A handler's non-string answer is sent as JSON. Without a handler a
    run that needs tool outputs fails the task, naming the tools waiting.

    A retried task does not pay twice: the thread and the run go to the task state store, and a
    retry reattaches to its run (a run that failed, expired or was cancelled is started afresh
    on the same thread, without adding the messages again). Only a task that is really being
    stopped cancels its run. Returned (XCom): ``thread_id``, ``run_id``, ``status``,
    ``messages`` (the assistant's messages of this run, their text), ``tool_calls_answered`` and
    ``usage``.

    :param assistant_id: the assistant (templated).
    :param messages: what to ask (templated).
    :param thread_id: an existing thread to add the messages to (templated); default a new one.
    :param run_parameters: other fields of the run, as the spec names them (templated).
    :param tool_handler: answers a tool call in the worker.
    :param max_tool_rounds: how many times the run may ask for tool outputs before the task gives up.
    :param wait_for_completion: False creates the run and returns its ids at once.
    :param deferrable: wait in the triggerer (default from ``[operators] default_deferrable``).
    :param poll_interval: shortest wait between polls, in seconds.
    :param timeout: seconds to wait for the run before giving up (it is cancelled).
    :param cancel_on_kill: cancel the run when the task is really stopped.
    :param outage_budget: seconds without a successful call to the API before the wait gives up.
    """

    state_key = STATE_KEY
    template_fields: Sequence[str] = ("assistant_id", "messages", "thread_id", "run_parameters")
    template_fields_renderers = {"messages": "json", "run_parameters": "json"}
    operator_extra_links = (OpenAIThreadLink(),)
    ui_color = "#f8eee0"

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
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 1.0,
        max_poll_interval: float = 60.0,
        timeout: float | None = None,
        cancel_on_kill: bool = True,
        outage_budget: float = DEFAULT_OUTAGE_BUDGET,
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
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.timeout = timeout
        self.cancel_on_kill = cancel_on_kill
        self.outage_budget = outage_budget
        self._identity: Any = None
        self._run: tuple[str, str] | None = None
        self._rounds = 0
        self._answered_calls: set[str] = set()

    # -- the run -------------------------------------------------------------------------------------

    def execute(self, context: Any) -> Any:
        from airflow_openai.batch.identity import TaskIdentity

        self._identity = TaskIdentity.from_context(context)
        messages = _messages(self.messages)
        thread_id, run_id = self._start(context, messages)
        self._run = (thread_id, run_id)
        context["ti"].xcom_push(key=THREAD_XCOM_KEY, value=thread_id)
        context["ti"].xcom_push(key=DASHBOARD_XCOM_KEY, value=self.hook.settings.dashboard_url or "")
        if not self.wait_for_completion:
            return {"thread_id": thread_id, "run_id": run_id}
        return self._wait(context, thread_id, run_id, started_at=self._wait_started(context, fresh=True))

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        """Resume after the trigger fired: answer tool calls here, in the worker, and wait again."""
        from airflow_openai.batch.identity import TaskIdentity

        self._identity = TaskIdentity.from_context(context)
        thread_id, run_id = str(event["thread_id"]), str(event["run_id"])
        self._run = (thread_id, run_id)
        if event["status"] == "action":
            self._answer(context, thread_id, run_id, list(event.get("tool_calls") or []))
            return self._wait(context, thread_id, run_id, started_at=self._wait_started(context))
        if event["status"] == "timeout":
            self._give_up_on_timeout(thread_id, run_id)
        if event["status"] == "error":
            raise AirflowException(f"{event['message']}; the run goes on, and a retry reattaches to it")
        if event["status"] != "success":
            final = event.get("run_status") in FINAL
            raise (AirflowFailException if final else AirflowException)(str(event["message"]))
        return self._collect(context, thread_id, run_id)

    def on_kill(self) -> None:
        """Cancel the run only if the task is really being stopped (marked failed, or out of time)."""
        from airflow_openai.stopping import kill_verdict
        from airflow_openai.task_state import UNKNOWN, current_state

        if self._run is None:
            return
        thread_id, run_id = self._run
        if not self.cancel_on_kill:
            self.log.info("Not cancelling run %s: cancel_on_kill is off", run_id)
            return
        identity = self._identity
        state = UNKNOWN
        if identity is not None:
            state = current_state(identity.dag_id, identity.task_id, identity.run_id, identity.map_index)
        verdict = kill_verdict(*state, in_worker=True)
        if verdict.cancel:
            self.log.info("Cancelling run %s: %s", run_id, verdict.why)
            self._cancel(thread_id, run_id, "the task was killed")
        else:
            self.log.info("Not cancelling run %s: %s", run_id, verdict.why)

    # -- steps ---------------------------------------------------------------------------------------

    def _start(self, context: Any, messages: list[dict[str, Any]]) -> tuple[str, str]:
        """The thread and the run: recorded by an earlier attempt, found on the thread by this task's
        tags (an attempt that died before recording it), or made now.

        On a new thread the messages go in with the thread; on a given thread they go in with the
        run (`additional_messages`): either way they are added in one request, and once.
        """
        state = self._state(context)
        thread_id = state.get("thread_id")
        run_id = state.get("run_id")
        if thread_id and run_id:
            run = self._call(lambda: self.hook.get_run(thread_id, run_id), f"Reading run {run_id}")
            if run.status not in RESTARTABLE:
                self.log.info(
                    "Reattaching to run %s on thread %s (%s), started by an earlier attempt",
                    run_id,
                    thread_id,
                    run.status,
                )
                return str(thread_id), str(run_id)
            self.log.info(
                "The earlier attempt's run %s %s; starting a new run on thread %s",
                run_id,
                run.status,
                thread_id,
            )
        tags = self._tags()
        options = dict(self.run_parameters)
        options["metadata"] = {**dict(options.get("metadata") or {}), **tags}
        if thread_id and not run_id:
            found = self._call(lambda: self._tagged_run(thread_id, tags), "Looking for this task's run")
            if found is not None:
                self.log.info(
                    "Reattaching to run %s on thread %s, made by an attempt that died", found.id, thread_id
                )
                self._save(context, run_id=found.id)
                return str(thread_id), str(found.id)
        if not thread_id and self.thread_id:
            thread_id = str(self.thread_id)
            options["additional_messages"] = messages
        elif not thread_id:
            thread = self._call(lambda: self.hook.create_thread(messages=messages), "Creating a thread")
            thread_id = str(thread.id)
            self.log.info("Thread %s holds the %d messages", thread_id, len(messages))
        self._save(context, thread_id=thread_id)
        run = self._call(
            lambda: self.hook.create_run(thread_id, self.assistant_id, **options), "Creating the run"
        )
        self._save(context, thread_id=thread_id, run_id=run.id, rounds=0, answered_calls=[])
        self.log.info(
            "Run %s of assistant %s on thread %s (%s)", run.id, self.assistant_id, thread_id, run.status
        )
        return str(thread_id), str(run.id)

    def _wait_started(self, context: Any, fresh: bool = False) -> float:
        """When this attempt began waiting: `timeout` bounds the whole wait, tool rounds and the
        deferrals between them included (a retry is a new attempt, with a new wait)."""
        attempt = getattr(context.get("ti"), "try_number", 1)
        state = self._state(context)
        if not fresh and state.get("wait_attempt") == attempt and state.get("wait_started"):
            return float(state["wait_started"])
        started = time.time()
        self._save(context, wait_started=started, wait_attempt=attempt)
        return started

    def _tags(self) -> dict[str, str]:
        """Which task instance made a run: in its metadata, so a retry finds it."""
        identity = self._identity
        return {
            f"{TAG_PREFIX}dag_id": identity.dag_id[:512],
            f"{TAG_PREFIX}task_id": identity.task_id[:512],
            f"{TAG_PREFIX}run_id": identity.run_id[:512],
            f"{TAG_PREFIX}map_index": str(identity.map_index),
        }

    def _tagged_run(self, thread_id: str, tags: dict[str, str]) -> Any:
        """The newest run on the thread carrying this task's tags that a retry may take over."""
        for run in self.hook.list_runs(thread_id, limit=20, order="desc"):
            metadata = getattr(run, "metadata", None) or {}
            if (
                all(metadata.get(key) == value for key, value in tags.items())
                and run.status not in RESTARTABLE
            ):
                return run
            break  # only the newest: a thread runs one at a time, and an older one is over
        return None

    def _wait(self, context: Any, thread_id: str, run_id: str, started_at: float) -> Any:
        from airflow_openai.pacing import PollPacing

        pacing = PollPacing(
            minimum=self.poll_interval, maximum=self.max_poll_interval, outage_budget=self.outage_budget
        )
        deadline = started_at + self.timeout if self.timeout else None
        if self.deferrable:
            from airflow_openai.triggers.runs import OpenAIRunTrigger

            trigger = OpenAIRunTrigger(
                thread_id,
                run_id,
                self.openai_conn_id,
                started_at=started_at,
                deadline=deadline,
                pacing=pacing.to_dict(),
                cancel_on_kill=self.cancel_on_kill,
            )
            self.defer(trigger=trigger, method_name="execute_complete")
        from airflow_openai.hooks.run_wait import RunTimeout

        while True:
            try:
                final = self.hook.wait_for_run(
                    thread_id,
                    run_id,
                    started_at=started_at,
                    deadline=deadline,
                    pacing=pacing,
                    on_progress=lambda a: self.log.info(a.message),
                )
            except RunTimeout:
                self._give_up_on_timeout(thread_id, run_id)
            except OutageExceeded as exc:
                raise AirflowException(f"{exc}; the run goes on, and a retry reattaches to it") from None
            if final.outcome == "action":
                if not self._answer(context, thread_id, run_id, list(final.tool_calls)):
                    time.sleep(self.poll_interval)  # answered already: the run has not taken them in yet
                continue
            if final.outcome != "succeeded":
                raise (AirflowFailException if final.status in FINAL else AirflowException)(final.message)
            return self._collect(context, thread_id, run_id)

    def _answer(self, context: Any, thread_id: str, run_id: str, calls: list[dict[str, Any]]) -> bool:
        """Answer the run's tool calls with the handler, here in the worker, and submit the outputs.

        Calls already answered (a run read again before it took the outputs in) are not answered
        twice: the wait simply goes on.
        """
        state = self._state(context)
        done = set(state.get("answered_calls") or []) | self._answered_calls
        calls = [call for call in calls if call.get("id") not in done]
        if not calls:
            return False
        names = ", ".join(f"{call.get('name')}({call.get('id')})" for call in calls)
        if self.tool_handler is None:
            raise AirflowFailException(
                f"Run {run_id} waits on tool outputs for {names}, and the task has no tool_handler to answer them"
            )
        rounds = max(int(state.get("rounds") or 0), self._rounds) + 1
        if rounds > self.max_tool_rounds:
            self._cancel(
                thread_id,
                run_id,
                f"it asked for tool outputs more than max_tool_rounds={self.max_tool_rounds} times",
            )
            raise AirflowFailException(
                f"Run {run_id} asked for tool outputs more than {self.max_tool_rounds} times; it was cancelled"
            )
        outputs = []
        for call in calls:
            try:
                answer = self.tool_handler(dict(call))
            except Exception as exc:
                raise AirflowException(
                    f"tool_handler failed on {call.get('name')}({call.get('id')}): {type(exc).__name__}: {exc}; "
                    "the run waits, and a retry answers it again"
                ) from exc
            output = answer if isinstance(answer, str) else json.dumps(answer, default=str)
            outputs.append({"tool_call_id": call["id"], "output": output})
            self.log.info("Answered %s(%s) with %d characters", call.get("name"), call["id"], len(output))
        self._call(
            lambda: self.hook.submit_tool_outputs(thread_id, run_id, outputs), "Submitting the tool outputs"
        )
        self._rounds = rounds
        self._answered_calls |= {str(call["id"]) for call in calls}
        self._save(context, rounds=rounds, answered_calls=sorted(done | self._answered_calls))
        return True

    def _collect(self, context: Any, thread_id: str, run_id: str) -> dict[str, Any]:
        """The assistant's messages of this run, oldest first, and the run's usage."""
        run = self._call(lambda: self.hook.get_run(thread_id, run_id), f"Reading run {run_id}")
        listed = self._call(
            lambda: list(self.hook.list_messages(thread_id, run_id=run_id, order="asc")), "Reading the answer"
        )
        texts = [_text(message) for message in listed if getattr(message, "role", "") == "assistant"]
        usage = run.usage.model_dump() if getattr(run, "usage", None) is not None else None
        for text in texts:
            self.log.info("Assistant: %s", text[:500])
        return {
            "thread_id": thread_id,
            "run_id": run_id,
            "status": run.status,
            "messages": texts,
            "tool_calls_answered": len(
                set(self._state(context).get("answered_calls") or []) | self._answered_calls
            ),
            "usage": usage,
        }

    def _give_up_on_timeout(self, thread_id: str, run_id: str) -> None:
        self._cancel(thread_id, run_id, "the timeout passed")
        raise AirflowFailException(f"Run {run_id} did not finish within {self.timeout}s; it was cancelled")

    def _cancel(self, thread_id: str, run_id: str, why: str) -> None:
        try:
            run = self.hook.cancel_run(thread_id, run_id)
            self.log.info("Cancelled run %s because %s (now %s)", run_id, why, run.status)
        except Exception as exc:  # best effort: a finished run refuses it
            self.log.warning("Could not cancel run %s: %s", run_id, exc)

    def _call(self, step: Any, what: str) -> Any:
        return waited_out(step, what, budget=self.outage_budget)


def _messages(value: Any) -> list[dict[str, Any]]:
    """Messages as the API takes them, from a string, strings, or role/content dicts."""
    items = [value] if isinstance(value, str | Mapping) else list(value or [])
    if not items:
        raise AirflowFailException(
            "messages is empty: give the assistant something to answer; nothing was created"
        )
    messages = []
    for n, item in enumerate(items):
        if isinstance(item, str):
            messages.append({"role": "user", "content": item})
        elif isinstance(item, Mapping) and item.get("role") in ("user", "assistant") and "content" in item:
            messages.append(dict(item))
        else:
            raise AirflowFailException(
                f"messages[{n}] must be a string or a {{'role': 'user'|'assistant', 'content': ...}} dict, "
                f"not {item!r:.80}; nothing was created"
            )
    return messages


def _text(message: Any) -> str:
    """A message's text parts, joined."""
    parts = []
    for part in getattr(message, "content", None) or []:
        data = part if isinstance(part, Mapping) else part.model_dump()
        if data.get("type") == "text":
            text = data.get("text")
            parts.append(text.get("value", "") if isinstance(text, Mapping) else str(text))
    return "\n".join(parts)
