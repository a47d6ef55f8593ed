"""OpenAIAssistantRunOperator makes what one clean run makes, whatever ends an attempt early, counted on
the emulator afterwards: threads, messages on the thread, runs, tool outputs taken; and its tool
handler runs once per tool call id (a counter file gets a line per call).

- a retry after the handler ran (the submission refused, its answer lost, an answer no request
  can carry), and a deferral resumed with the same `action` event again (a restarted
  triggerer), submit the recorded answers and never call the handler again;
- a lost answer to making the thread costs one empty thread, said in the log;
- an assistant that does not exist fails without a retry before anything is made.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from airflow_openai.runs.answers import AnswersRefused
from tests.support.dag_runner import run_dag, task_states, xcom_value
from tests.support.task_instance import TaskInstanceStandIn

SUBMIT = "/v1/threads/*/runs/*/submit_tool_outputs"
QUESTION = "Where is ORD-1234? Use order_status, then send_email to the customer."


def _tool(name, prop):
    schema = {"type": "object", "properties": {prop: {"type": "string"}}, "required": [prop]}
    return {"type": "function", "function": {"name": name, "parameters": schema}}


TOOLS = [_tool("order_status", "order_id"), _tool("send_email", "to")]
CLEAN = {"threads": 1, "messages": 2, "runs": 1, "outputs_taken": 2}
"""One clean run: one thread holding the question and the answer, one run, both calls' outputs taken."""


class Store(dict):
    """The task state store of one task instance, across its tries and deferrals."""

    def set(self, key, value):
        self[key] = value


@pytest.fixture(autouse=True)
def runs_on_a_quick_clock(emu):
    """20 × real time: a run reaches its tool calls in 0.15 s and expires (600 emulated s) after 30."""
    emu.set_speed(20)


@pytest.fixture
def counter(tmp_path):
    """A tool handler with a side effect: a line per call in a file, the call's id on it."""
    path = tmp_path / "handled.txt"
    path.touch()

    def handler(call):
        with path.open("a") as out:
            out.write(call["id"] + "\n")
        return {"tool": call["name"], "done": True}

    handler.lines = lambda: path.read_text().splitlines()
    return handler


def _assistant(hook):
    return hook.create_assistant("gpt-4o-mini", name="support", instructions="Help.", tools=TOOLS).id


def _operator(assistant_id, **kwargs):
    from airflow_openai.operators.runs import OpenAIAssistantRunOperator

    kwargs.setdefault("messages", QUESTION)
    return OpenAIAssistantRunOperator(task_id="ask", assistant_id=assistant_id, poll_interval=0.05, **kwargs)


def _context(store):
    return {"ti": TaskInstanceStandIn("ask"), "task_state_store": store}


def _plain(value):
    return value if isinstance(value, dict) else value.model_dump()


def remote(emu, hook):
    """What is on the emulator: threads, messages on them, runs, and tool outputs the runs took."""
    from airflow_openai.emulator.assistants.thread_messages import RUN, THREAD, messages_kind

    threads = emu.state.store.all(THREAD)
    runs = emu.state.store.all(RUN)
    taken = 0
    for run in runs:
        for step in hook.list_run_steps(run["thread_id"], run["id"]):
            details = _plain(step.step_details)
            taken += sum(
                1 for call in details.get("tool_calls") or [] if call["function"]["output"] is not None
            )
    return {
        "threads": len(threads),
        "messages": sum(len(emu.state.store.all(messages_kind(t["id"]))) for t in threads),
        "runs": len(runs),
        "outputs_taken": taken,
    }


def _once_per_call(counter):
    lines = counter.lines()
    assert len(lines) == 2 and len(set(lines)) == 2, f"the handler ran {lines}"


# -- 5. the handler runs at most once per tool call id --------------------------------------------------


LOSSES = {
    # the submission refused once: the attempt ends after the handler ran, the retry goes on
    "submission refused": ({"status": 400, "count": 1}, 2),
    # its answer dropped after the run took the outputs: the client reads the run, and sees them taken
    "submission answer lost": ({"after": True, "drop": True, "status": None, "count": 1}, 1),
}


@pytest.mark.parametrize("loss", LOSSES)
def test_a_retry_submits_the_recorded_answers_without_calling_the_handler_again(
    airflow_db, emu, emu_hook, new_dag, counter, loss
):
    from airflow_openai.operators.runs import OpenAIAssistantRunOperator

    fault, submissions = LOSSES[loss]
    assistant_id = _assistant(emu_hook)
    emu.fault(SUBMIT, method="POST", **fault)
    with new_dag() as dag:
        OpenAIAssistantRunOperator(
            task_id="ask",
            assistant_id=assistant_id,
            messages=QUESTION,
            tool_handler=counter,
            retries=1,
            retry_delay=timedelta(0),
            poll_interval=0.05,
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"ask": "success"}
    _once_per_call(counter)
    assert remote(emu, emu_hook) == CLEAN
    assert emu.requests(SUBMIT, "POST") == submissions
    result = xcom_value(dag_run, "ask")
    assert result["status"] == "completed" and result["tool_calls_answered"] == 2


def test_an_answer_no_request_can_carry_fails_the_task_before_anything_is_submitted(emu, emu_hook):
    """A lone surrogate can be neither sent nor kept: the task fails for good, naming the call, with
    the handler run once and nothing submitted (changing the answer behind the handler's back
    would be worse)."""
    from airflow.sdk.exceptions import AirflowFailException

    handled = []

    def handler(call):
        handled.append(call["id"])
        return "shipped \ud800 today"

    with pytest.raises(
        AirflowFailException, match=r"answer to \w+\(call_\w+\): output holds a lone surrogate"
    ):
        _operator(_assistant(emu_hook), tool_handler=handler).execute(_context(Store()))

    assert len(handled) == 1, "the first answer fails the task: the handler is not asked again"
    assert emu.requests(SUBMIT, "POST") == 0


def _fire(trigger):
    async def first():
        async for event in trigger.run():
            return event.payload
        raise AssertionError("the trigger ended without an event")

    return asyncio.run(first())


def _resume(assistant_id, counter, store, event):
    """A fresh operator resumed with `event`, as Airflow resumes a deferred task; returns the next
    deferral's trigger, or the task's result."""
    from airflow.sdk.exceptions import TaskDeferred

    op = _operator(assistant_id, tool_handler=counter, deferrable=True)
    try:
        return op.execute_complete(_context(store), event)
    except TaskDeferred as deferred:
        return deferred.trigger


@pytest.mark.parametrize("dies", ["before the submission", "after the submission"])
def test_a_deferral_resumed_again_with_the_same_event_never_calls_the_handler_twice(
    emu, emu_hook, counter, dies
):
    """The trigger fires `action`; the task resumes, answers and defers; a restarted triggerer fires
    the same event again. The first resumption dies after the handler ran: before its submission
    (refused), or after it, before the task recorded that the run took the outputs."""
    from airflow.sdk.exceptions import TaskDeferred

    assistant_id, store = _assistant(emu_hook), Store()
    with pytest.raises(TaskDeferred) as deferred:
        _operator(assistant_id, tool_handler=counter, deferrable=True).execute(_context(store))
    event = _fire(deferred.value.trigger)
    assert event["status"] == "action" and len(event["tool_calls"]) == 2

    if dies == "before the submission":
        emu.fault(SUBMIT, method="POST", status=400, count=1)
        with pytest.raises(AnswersRefused, match="refused the tool outputs for call_.*a retry submits them"):
            _resume(assistant_id, counter, store, event)
    else:
        _resume(assistant_id, counter, store, event)
        # as a worker killed between the submission and its record leaves the record: answers kept
        answers = {
            call["id"]: json.dumps({"tool": call["name"], "done": True}) for call in event["tool_calls"]
        }
        store.set(
            "openai_assistant_run",
            {**store["openai_assistant_run"], "answered_calls": [], "answers": answers},
        )
    _once_per_call(counter)

    again = _resume(assistant_id, counter, store, event)  # the same event: submits what was recorded
    trigger = _resume(assistant_id, counter, store, event)  # and once more: already taken, waits on
    result = _resume(assistant_id, counter, store, _fire(trigger))

    _once_per_call(counter)
    assert again is not None and result["status"] == "completed" and result["tool_calls_answered"] == 2
    assert remote(emu, emu_hook) == CLEAN
    assert emu.requests(SUBMIT, "POST") == 2, "one refused: by the fault, or by the run that had taken them"


# -- 6. a lost answer to making the thread --------------------------------------------------------------


@pytest.mark.parametrize("lost", [False, True], ids=["clean", "thread answer lost"])
def test_a_lost_thread_answer_leaves_at_most_an_empty_thread(emu, emu_hook, capsys, lost):
    from airflow_openai.emulator.assistants.thread_messages import THREAD, messages_kind

    assistant = emu_hook.create_assistant("gpt-4o-mini", name="plain", instructions="Help.")
    if lost:
        emu.fault("/v1/threads", method="POST", after=True, drop=True, status=None)
    result = _operator(assistant.id, messages=["Hi", "What now?"]).execute(_context(Store()))

    assert result["status"] == "completed"
    on_threads = {
        t["id"]: len(emu.state.store.all(messages_kind(t["id"]))) for t in emu.state.store.all(THREAD)
    }
    assert on_threads.pop(result["thread_id"]) == 3, "the two messages once, and the answer"
    assert list(on_threads.values()) == [0] * int(lost), "the lost thread, if any, is empty"
    counts = remote(emu, emu_hook)
    assert (counts["runs"], counts["messages"], counts["threads"]) == (1, 3, 1 + int(lost))
    assert emu.requests("/v1/threads/*/messages", "POST") == 0, "the messages went in with the run"
    log = capsys.readouterr().out  # the operator logs through Airflow's structlog, as in a worker
    warned = [line for line in log.splitlines() if "creating the thread was lost" in line]
    assert len(warned) == int(lost)
    if lost:
        assert "It is empty (the messages go in with the run)" in warned[0]


# -- 7. an assistant that does not exist ----------------------------------------------------------------


def test_an_unknown_assistant_fails_before_anything_is_made(emu, emu_hook):
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException) as failed:
        _operator("asst_nope", tool_handler=lambda call: "x").execute(_context(Store()))

    message = str(failed.value)
    assert "'asst_nope' was not found with connection 'openai_default'" in message
    assert "Nothing was created, and the task is not retried" in message
    assert remote(emu, emu_hook) == {"threads": 0, "messages": 0, "runs": 0, "outputs_taken": 0}
    assert emu.requests("/v1/threads*", "POST") == 0


def test_an_unknown_assistant_is_not_retried(airflow_db, emu, emu_hook, new_dag):
    from airflow_openai.operators.runs import OpenAIAssistantRunOperator

    with new_dag() as dag:
        OpenAIAssistantRunOperator(
            task_id="ask", assistant_id="asst_nope", messages="Hi", retries=2, retry_delay=timedelta(0)
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"ask": "failed"}
    assert emu.requests("/v1/assistants/asst_nope", "GET") == 1, "one try"
    assert remote(emu, emu_hook) == {"threads": 0, "messages": 0, "runs": 0, "outputs_taken": 0}
    assert xcom_value(dag_run, "ask") is None


@pytest.mark.parametrize(
    ("field", "needle"),
    [
        ({"messages": ["ok", "bad \udc80"]}, r"messages\[1\]\['content'\] holds a lone surrogate \(U\+DC80"),
        (
            {"run_parameters": {"metadata": {"k": "\ud800"}}},
            r"run_parameters\['metadata'\]\['k'\] holds a lone",
        ),
    ],
    ids=["messages", "run_parameters"],
)
def test_text_no_request_can_carry_fails_before_the_thread_is_made(emu, emu_hook, field, needle):
    """The thread is made bare before the run: text the run's request could not carry is refused
    first, or the thread would be left behind."""
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match=needle + r".*nothing was created"):
        _operator(_assistant(emu_hook), **field).execute(_context(Store()))
    assert remote(emu, emu_hook) == {"threads": 0, "messages": 0, "runs": 0, "outputs_taken": 0}
