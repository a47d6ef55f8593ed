"""OpenAIRunTrigger in an event loop against the emulator: each way a run ends, the tool calls it
waits on, its deadline, an outage, and its kill. Runs move on the emulator's clock, stopped or
fast, so nothing here depends on the machine's speed."""

from __future__ import annotations

import asyncio
import json
import time
from types import SimpleNamespace

import pytest

from airflow_openai.emulator.assistants.run_lifecycle import EXPIRES_SECONDS
from airflow_openai.triggers.job import OpenAIJobTrigger
from airflow_openai.triggers.runs import OpenAIRunTrigger
from tests.client.test_runs_calls import DONE, WEATHER

FAST = {"minimum": 0.05, "maximum": 0.5, "fraction": 0.1}


def _run(hook, *, tools=(), text="Weather in Oslo?", **options):
    assistant = hook.create_assistant("gpt-4o-mini", tools=list(tools))
    thread = hook.create_thread([{"role": "user", "content": text}])
    return hook.create_run(thread.id, assistant.id, **options)


def _trigger(run, **kwargs):
    return OpenAIRunTrigger(run.thread_id, run.id, pacing=FAST, **kwargs)


async def _first_event(trigger):
    async for event in trigger.run():
        return event.payload
    raise AssertionError("the trigger ended without an event")


def _fire(trigger):
    return asyncio.run(_first_event(trigger))


def test_serializes_only_the_connection_id_and_plain_values(emu):
    trigger = OpenAIRunTrigger("thread_1", "run_1", "openai_default", started_at=5.0, deadline=123.0)
    path, kwargs = trigger.serialize()
    assert path == "airflow_openai.triggers.job.OpenAIJobTrigger"
    assert kwargs == {
        "kind": "run",
        "ref": {"ids": ["run_1"], "thread_id": "thread_1"},
        "openai_conn_id": "openai_default",
        "started_at": 5.0,
        "deadline": 123.0,
        "pacing": {"minimum": 1.0, "maximum": 30.0, "fraction": 0.1, "outage_budget": 1800.0},
        "cancel_on_kill": True,
    }
    text = json.dumps(kwargs)
    assert emu.api_key not in text and "sk-" not in text
    assert OpenAIJobTrigger(**kwargs).serialize() == (path, kwargs)


async def _moved_on_once_seen(trigger, emu, path):
    """The trigger's event, the emulator's clock moved on by a whole run once the trigger has
    read the run (its second poll has arrived, so its first was answered): it saw the run queued
    first, however fast or slow this machine is."""
    waiting = asyncio.ensure_future(_first_event(trigger))
    while await asyncio.to_thread(emu.requests, path, "GET") < 2:
        await asyncio.sleep(0.02)
    await asyncio.to_thread(emu.advance, DONE)
    return await waiting


def test_a_run_that_completes_fires_success(emu, emu_hook, capsys):
    emu.set_speed(0)
    run = _run(emu_hook)
    path = f"/v1/threads/{run.thread_id}/runs/{run.id}"

    payload = asyncio.run(_moved_on_once_seen(_trigger(run), emu, path))

    assert payload == {
        "status": "success",
        "kind": "run",
        "ref": {"ids": [run.id], "thread_id": run.thread_id},
        "statuses": {run.id: "completed"},
        "thread_id": run.thread_id,
        "run_id": run.id,
        "run_status": "completed",
        "tool_calls": [],
        "message": payload["message"],
    }
    assert payload["message"].startswith(f"Run {run.id} on thread {run.thread_id} completed: ")
    log = capsys.readouterr().out
    assert f"Run {run.id} on thread {run.thread_id} is queued" in log
    assert log.count(f"Run {run.id} on thread {run.thread_id} completed") == 1


def test_a_run_waiting_on_tools_fires_action_with_its_calls(emu, emu_hook):
    emu.set_speed(0)
    run = _run(emu_hook, tools=[WEATHER])
    emu.advance(DONE)

    payload = _fire(_trigger(run))

    (call,) = emu_hook.get_run(run.thread_id, run.id).tool_calls
    assert payload["status"] == "action" and payload["run_status"] == "requires_action"
    assert payload["tool_calls"] == [
        {"id": call.id, "name": "get_weather", "arguments": call.function.arguments}
    ]
    assert payload["message"].endswith(f"requires tool outputs: get_weather({call.id})")
    json.dumps(payload)  # plain values only: it goes through the trigger table


def test_a_failed_run_fires_failed_with_its_error(emu, emu_hook):
    emu.set_speed(0)
    emu.fail_run(code="rate_limit_exceeded", message="Slow down.")
    run = _run(emu_hook)
    emu.advance(DONE)

    payload = _fire(_trigger(run))

    assert payload["status"] == "failed" and payload["run_status"] == "failed"
    assert payload["message"].endswith("failed: Slow down. (rate_limit_exceeded)")


def test_an_incomplete_run_fires_failed_naming_the_limit(emu, emu_hook):
    emu.set_speed(0)
    run = _run(emu_hook, text="word " * 400, max_prompt_tokens=256)
    emu.advance(DONE)

    payload = _fire(_trigger(run))

    assert payload["status"] == "failed" and payload["run_status"] == "incomplete"
    assert payload["message"].endswith("ended incomplete: it reached max_prompt_tokens")


def test_a_run_left_waiting_on_tools_expires_and_fires_failed(emu, emu_hook):
    emu.set_speed(0)
    run = _run(emu_hook, tools=[WEATHER])
    emu.advance(EXPIRES_SECONDS + 1)

    payload = _fire(_trigger(run))

    assert payload["status"] == "failed" and payload["run_status"] == "expired"
    assert "expired at" in payload["message"] and payload["tool_calls"] == []


def test_a_run_cancelled_outside_the_task_fires_failed_saying_so(emu, emu_hook):
    emu.set_speed(0)
    run = _run(emu_hook)
    emu_hook.cancel_run(run.thread_id, run.id)
    emu.advance(DONE)

    payload = _fire(_trigger(run))

    assert payload["status"] == "failed" and payload["run_status"] == "cancelled"
    assert "was cancelled outside this task at" in payload["message"]


def test_deadline_ends_the_wait_with_timeout(emu, emu_hook):
    emu.set_speed(0)  # the run stays queued
    run = _run(emu_hook)
    started = time.monotonic()

    payload = _fire(_trigger(run, deadline=time.time() + 0.5))

    assert payload["status"] == "timeout" and payload["run_status"] == "queued"
    assert time.monotonic() - started < 3


def test_an_outage_is_waited_out(emu, emu_hook):
    emu.set_speed(0)
    run = _run(emu_hook)
    emu.advance(DONE)
    path = f"/v1/threads/{run.thread_id}/runs/{run.id}"
    emu.fault(path, method="GET", status=503, count=6)

    payload = _fire(_trigger(run))

    assert payload["status"] == "success" and emu.requests(path, method="GET") > 6


def test_an_outage_past_its_budget_is_an_error_event(emu, emu_hook):
    emu.set_speed(0)
    run = _run(emu_hook)
    emu.fault(f"/v1/threads/{run.thread_id}/runs/{run.id}", method="GET", status=503, count=1000)

    payload = _fire(OpenAIRunTrigger(run.thread_id, run.id, pacing={**FAST, "outage_budget": 0.5}))

    assert payload["status"] == "error" and "could not be reached" in payload["message"]
    assert payload["run_status"] == "not seen yet"


def test_a_missing_run_is_an_error_event_not_a_hang(emu, emu_hook):
    thread = emu_hook.create_thread()
    payload = _fire(OpenAIRunTrigger(thread.id, "run_gone", pacing=FAST))
    assert payload["status"] == "error" and "run_gone" in payload["message"]


@pytest.mark.parametrize(
    ("state", "cancelled", "why"),
    [("failed", True, "marked failed"), ("success", False, "marked success"), ("queued", False, "cleared")],
)
def test_on_kill_cancels_only_a_task_that_is_really_stopped(
    monkeypatch, capsys, emu, emu_hook, state, cancelled, why
):
    """Which user action ended the attempt comes from Airflow's supervisor channel, stood in for
    here as in the batch trigger's tests; the run and the cancel are real."""
    from airflow.sdk.execution_time import task_runner

    from tests.triggers.test_kill_and_outage import TaskStates

    emu.set_speed(0)
    run = _run(emu_hook)
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", TaskStates(state), raising=False)
    trigger = _trigger(run)
    trigger.task_instance = SimpleNamespace(dag_id="dag", task_id="summarise", run_id="run_1", map_index=-1)

    asyncio.run(trigger.on_kill())

    status = emu_hook.get_run(run.thread_id, run.id).status
    assert (status == "cancelling") is cancelled, status
    assert why in capsys.readouterr().out


def test_on_kill_leaves_the_run_when_cancel_on_kill_is_off(emu, emu_hook, capsys):
    emu.set_speed(0)
    run = _run(emu_hook)
    asyncio.run(_trigger(run, cancel_on_kill=False).on_kill())
    assert emu_hook.get_run(run.thread_id, run.id).status == "queued"
    assert "cancel_on_kill is off" in capsys.readouterr().out


def test_on_kill_of_a_finished_run_logs_the_refusal(emu, emu_hook, capsys):
    emu.set_speed(0)
    run = _run(emu_hook)
    emu.advance(DONE)
    asyncio.run(_trigger(run).on_kill())  # no task instance: taken as stopped
    assert f"Could not cancel run {run.id}" in capsys.readouterr().out
