"""OpenAIAssistantRunOperator against the emulator: answers, tool calls answered in the worker across
a deferral, every failure said clearly, reattach on retry, cancel on kill."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.support.dag_runner import run_dag, task_states, xcom_value
from tests.support.task_instance import TaskInstanceStandIn

TOOL = {
    "type": "function",
    "function": {
        "name": "order_status",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string", "pattern": "^ORD-[0-9]{4}$"}},
            "required": ["order_id"],
        },
    },
}


@pytest.fixture(autouse=True)
def quick_runs(emu):
    """Runs take a few emulated seconds; a run waiting on tool outputs expires after 600 of them,
    so the clock must not run so fast that a deferral's round trip outlasts that (60 × real time:
    ten seconds)."""
    emu.set_speed(60)


def _assistant(hook, tools=None):
    return hook.create_assistant("gpt-4o-mini", name="support", instructions="Help.", tools=tools or []).id


def _run(op, **context):
    return op.execute({"ti": TaskInstanceStandIn(op.task_id), **context})


def _operator(assistant_id, **kwargs):
    from airflow_openai.operators.runs import OpenAIAssistantRunOperator

    kwargs.setdefault("messages", "Hello there")
    return OpenAIAssistantRunOperator(task_id="ask", assistant_id=assistant_id, poll_interval=0.05, **kwargs)


def test_a_run_completes_with_the_assistants_answer(emu, emu_hook):
    result = _run(_operator(_assistant(emu_hook), messages=["Hi", {"role": "user", "content": "What now?"}]))
    assert result["status"] == "completed" and len(result["messages"]) == 1 and result["messages"][0]
    assert result["usage"]["total_tokens"] > 0 and result["tool_calls_answered"] == 0
    messages = list(emu_hook.list_messages(result["thread_id"], order="asc"))
    assert [m.role for m in messages] == ["user", "user", "assistant"]


def test_tool_calls_are_answered_by_the_handler(emu, emu_hook):
    calls = []

    def handler(call):
        calls.append(call)
        return {"order_id": json.loads(call["arguments"])["order_id"], "status": "shipped"}

    result = _run(
        _operator(
            _assistant(emu_hook, [TOOL]), messages="Where is my order? order_status", tool_handler=handler
        )
    )
    assert [c["name"] for c in calls] == ["order_status"] and calls[0]["id"].startswith("call_")
    assert result["status"] == "completed" and result["tool_calls_answered"] == 1
    assert "shipped" in result["messages"][-1]


def test_tool_calls_are_answered_in_the_worker_across_a_deferral(airflow_db, emu, emu_hook, new_dag):
    """The trigger fires `action`, the task resumes in the worker, answers, and defers again."""
    from airflow_openai.operators.runs import OpenAIAssistantRunOperator

    assistant_id = _assistant(emu_hook, [TOOL])
    with new_dag() as dag:
        OpenAIAssistantRunOperator(
            task_id="ask",
            assistant_id=assistant_id,
            messages="Where is ORD-1234? order_status",
            tool_handler=lambda call: json.dumps({"status": "shipped", "eta": "tomorrow"}),
            deferrable=True,
            poll_interval=0.05,
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"ask": "success"}
    result = xcom_value(dag_run, "ask")
    assert result["status"] == "completed" and result["tool_calls_answered"] == 1
    assert "tomorrow" in result["messages"][-1]
    assert xcom_value(dag_run, "ask", key="thread_id") == result["thread_id"]
    link = xcom_value(dag_run, "ask", key="_link_OpenAIThreadLink")
    assert link == f"{emu.dashboard_url}/threads/{result['thread_id']}"


def test_a_run_needing_tools_without_a_handler_fails_naming_them(emu, emu_hook):
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match=r"waits on tool outputs for order_status\(call_"):
        _run(_operator(_assistant(emu_hook, [TOOL]), messages="order_status please"))


@pytest.mark.parametrize(
    ("setup", "messages", "run_parameters", "needles"),
    [
        ("fail", "Hello", {}, ("failed", "server_error", "The model fell over")),
        ("none", "word " * 2000, {"max_prompt_tokens": 256}, ("incomplete", "max_prompt_tokens")),
    ],
)
def test_each_failure_is_said_clearly(emu, emu_hook, setup, messages, run_parameters, needles):
    from airflow.sdk.exceptions import AirflowException

    if setup == "fail":
        emu.fail_run(code="server_error", message="The model fell over")
    with pytest.raises(AirflowException) as failed:
        _run(_operator(_assistant(emu_hook), messages=messages, run_parameters=run_parameters))
    for needle in needles:
        assert needle in str(failed.value)


def test_a_timeout_cancels_the_run_and_fails_without_retrying(emu, emu_hook):
    from airflow.sdk.exceptions import AirflowFailException

    emu.set_speed(0)  # the run stays queued
    op = _operator(_assistant(emu_hook), timeout=0.3)
    with pytest.raises(AirflowFailException, match="did not finish within 0.3s; it was cancelled"):
        _run(op)
    emu.advance(5)
    assert emu_hook.get_run(op._ref["thread_id"], op._ref["ids"][0]).status == "cancelled"


def test_a_retried_task_reattaches_to_its_run(airflow_db, emu, emu_hook, new_dag):
    from airflow_openai.operators.runs import OpenAIAssistantRunOperator

    assistant_id = _assistant(emu_hook)
    emu.fault("/v1/threads/*/runs/*", method="GET", status=400, count=1)  # the first attempt dies waiting
    with new_dag() as dag:
        OpenAIAssistantRunOperator(
            task_id="ask",
            assistant_id=assistant_id,
            messages="Hello",
            retries=1,
            retry_delay=timedelta(0),
            poll_interval=0.05,
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"ask": "success"}
    assert emu.requests("/v1/threads/*/runs", "POST") + emu.requests("/v1/threads/runs", "POST") == 1
    assert emu.requests("/v1/threads", "POST") == 1, "one thread, the messages added once"
    result = xcom_value(dag_run, "ask")
    assert result["status"] == "completed"


def test_on_kill_cancels_the_run(emu, emu_hook):
    from tests.support.worker import waiting_in_a_worker

    emu.set_speed(0)
    op = _operator(_assistant(emu_hook))
    worker, outcome, thread_id = waiting_in_a_worker(op, key="thread_id")
    import time

    deadline = time.monotonic() + 20
    while op._ref is None and time.monotonic() < deadline:
        time.sleep(0.05)
    op.on_kill()
    emu.advance(5)
    worker.join(20)
    run = emu_hook.get_run(op._ref["thread_id"], op._ref["ids"][0])
    assert run.status in ("cancelling", "cancelled") and "error" in outcome


def test_bad_messages_are_refused_before_anything_is_created(emu, emu_hook):
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match=r"messages\[1\] must be a string"):
        _run(_operator(_assistant(emu_hook), messages=["ok", 42]))
    assert emu.requests("/v1/threads", "POST") == 0


def test_a_retry_finds_the_run_an_attempt_made_before_it_died(emu, emu_hook):
    """The thread was recorded, the run created, the worker died before recording the run: the
    retry finds the run by the task's tags instead of starting a second (which the thread would
    refuse while the first runs, and pay for after)."""

    class Store(dict):
        def set(self, key, value):
            self[key] = value

    emu.set_speed(0)
    assistant_id = _assistant(emu_hook)
    store = Store()
    first = _operator(assistant_id, messages=["one", "two"], thread_id=None)
    first._identity = __import__("airflow_openai.batch.identity", fromlist=["TaskIdentity"]).TaskIdentity(
        "stand_in_dag", "ask", "manual__1", -1
    )
    thread_id, run_id = first._start({"task_state_store": store}, [{"role": "user", "content": "one"}])
    store["openai_assistant_run"].pop("run_id")  # as if the worker died before recording it

    retry = _operator(assistant_id, messages=["one", "two"], wait_for_completion=False)
    result = _run(retry, task_state_store=store)
    assert (result["thread_id"], result["run_id"]) == (thread_id, run_id)
    assert len(list(emu_hook.list_runs(thread_id))) == 1


def test_messages_on_a_given_thread_go_in_with_the_run_once(emu, emu_hook):
    emu.set_speed(0)
    thread = emu_hook.create_thread()
    result = _run(
        _operator(
            _assistant(emu_hook), messages=["one", "two"], thread_id=thread.id, wait_for_completion=False
        )
    )
    emu.advance(10)
    roles = [(m.role, m.text) for m in emu_hook.list_messages(thread.id, order="asc")]
    assert roles[:2] == [("user", "one"), ("user", "two")] and result["thread_id"] == thread.id
