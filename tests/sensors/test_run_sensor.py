"""OpenAIRunSensor in poke, reschedule and deferrable mode, through `dag.test()`, and each way it fails."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.client.test_runs_calls import DONE, WEATHER
from tests.support.dag_runner import run_dag, task_states, xcom_value


def _run(hook, *, tools=(), text="Weather in Oslo?"):
    assistant = hook.create_assistant("gpt-4o-mini", tools=list(tools))
    thread = hook.create_thread([{"role": "user", "content": text}])
    return hook.create_run(thread.id, assistant.id)


async def _first_event(trigger):
    async for event in trigger.run():
        return event.payload
    raise AssertionError("the trigger ended without an event")


@pytest.mark.parametrize("mode", ["poke", "reschedule", "deferrable"])
def test_waits_for_a_run_and_returns_it(airflow_db, emu, emu_hook, new_dag, mode):
    from airflow_openai.sensors.runs import OpenAIRunSensor

    emu.set_speed(100)  # a run takes 0.03 s
    run = _run(emu_hook)
    with new_dag(params={"thread": run.thread_id, "run": run.id}) as dag:
        OpenAIRunSensor(
            task_id="wait",
            thread_id="{{ params.thread }}",
            run_id="{{ params.run }}",
            poke_interval=0.2,
            mode="reschedule" if mode == "reschedule" else "poke",
            deferrable=mode == "deferrable",
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"wait": "success"}
    returned = xcom_value(dag_run, "wait")
    assert (returned["id"], returned["thread_id"], returned["status"]) == (run.id, run.thread_id, "completed")
    assert returned["usage"]["total_tokens"] > 0


def test_a_deferred_wait_returns_the_run_once_the_trigger_says_it_completed(emu, emu_hook):
    from airflow.sdk.exceptions import TaskDeferred

    from airflow_openai.sensors.runs import OpenAIRunSensor

    emu.set_speed(0)
    run = _run(emu_hook)
    sensor = OpenAIRunSensor(
        task_id="wait", thread_id=run.thread_id, run_id=run.id, poke_interval=0.05, deferrable=True
    )
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    trigger = deferred.value.trigger
    assert (trigger.ref, trigger.cancel_on_kill) == ({"ids": [run.id], "thread_id": run.thread_id}, False)
    assert trigger.pacing["minimum"] == 0.05 and trigger.pacing["maximum"] == 30.0
    emu.advance(DONE)

    payload = asyncio.run(_first_event(trigger))

    assert payload["status"] == "success"
    assert sensor.execute_complete({}, payload)["status"] == "completed"


def test_fails_with_the_servers_error_when_the_run_failed(airflow_db, emu, emu_hook, new_dag, capsys):
    from airflow_openai.sensors.runs import OpenAIRunSensor

    emu.set_speed(0)
    emu.fail_run(code="server_error", message="The model broke.")
    run = _run(emu_hook)
    emu.advance(DONE)
    with new_dag() as dag:
        OpenAIRunSensor(task_id="wait", thread_id=run.thread_id, run_id=run.id, poke_interval=0.2)
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"wait": "failed"}
    assert f"Run {run.id} on thread {run.thread_id} failed: The model broke. (server_error)" in (
        capsys.readouterr().out
    )


def test_fails_naming_the_tools_a_run_waits_on(airflow_db, emu, emu_hook, new_dag, capsys):
    from airflow_openai.sensors.runs import OpenAIRunSensor

    emu.set_speed(0)
    run = _run(emu_hook, tools=[WEATHER])
    emu.advance(DONE)
    (call,) = emu_hook.get_run(run.thread_id, run.id).tool_calls
    with new_dag() as dag:
        OpenAIRunSensor(task_id="wait", thread_id=run.thread_id, run_id=run.id, poke_interval=0.2)
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"wait": "failed"}
    assert (
        f"requires tool outputs: get_weather({call.id}); "
        "use OpenAIAssistantRunOperator with a tool_handler to answer them"
    ) in capsys.readouterr().out
    assert emu_hook.get_run(run.thread_id, run.id).status == "requires_action"  # never cancelled


@pytest.mark.parametrize("ending", ["action", "expired", "cancelled"])
def test_a_deferred_wait_fails_on_what_the_trigger_saw(emu, emu_hook, ending):
    from airflow.sdk.exceptions import AirflowException, TaskDeferred

    from airflow_openai.sensors.runs import OpenAIRunSensor

    emu.set_speed(0)
    run = _run(emu_hook, tools=[WEATHER] if ending != "cancelled" else [])
    sensor = OpenAIRunSensor(
        task_id="wait", thread_id=run.thread_id, run_id=run.id, poke_interval=0.05, deferrable=True
    )
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    if ending == "cancelled":
        emu_hook.cancel_run(run.thread_id, run.id)
    emu.advance({"action": DONE, "expired": 601, "cancelled": DONE}[ending])

    payload = asyncio.run(_first_event(deferred.value.trigger))

    expected = {
        "action": r"requires tool outputs: get_weather\(call_\w+\); use OpenAIAssistantRunOperator",
        "expired": f"Waiting for run {run.id} on thread {run.thread_id} ended with failed: .* expired at",
        "cancelled": "ended with failed: .* was cancelled outside this task",
    }[ending]
    with pytest.raises(AirflowException, match=expected):
        sensor.execute_complete({}, payload)


def test_a_deferred_wait_past_its_timeout_is_a_sensor_timeout_naming_the_run(emu, emu_hook):
    from airflow.sdk.exceptions import AirflowSensorTimeout, TaskDeferred

    from airflow_openai.sensors.runs import OpenAIRunSensor

    emu.set_speed(0)  # the run stays queued
    run = _run(emu_hook)
    sensor = OpenAIRunSensor(
        task_id="wait",
        thread_id=run.thread_id,
        run_id=run.id,
        poke_interval=0.1,
        timeout=0.5,
        deferrable=True,
    )
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    started = time.monotonic()

    payload = asyncio.run(_first_event(deferred.value.trigger))

    assert payload["status"] == "timeout" and time.monotonic() - started < 3
    with pytest.raises(AirflowSensorTimeout, match=f"Run {run.id} on thread {run.thread_id} did not finish"):
        sensor.execute_complete({}, payload)


def test_a_missing_run_fails_the_sensor(emu, emu_hook):
    from airflow_openai.client import NotFoundError
    from airflow_openai.sensors.runs import OpenAIRunSensor

    thread = emu_hook.create_thread()
    sensor = OpenAIRunSensor(task_id="wait", thread_id=thread.id, run_id="run_gone")
    with pytest.raises(NotFoundError):
        sensor.poke({})


def test_an_outage_ends_a_rescheduled_sensor_after_its_budget(emu):
    """Each poke is a new process with a new sensor: the outage is counted in the task state store."""
    from airflow.sdk.exceptions import AirflowException

    from airflow_openai.sensors.runs import OpenAIRunSensor

    class Store(dict):
        def set(self, key, value):
            self[key] = value

    def fresh_sensor():
        return OpenAIRunSensor(
            task_id="wait", thread_id="thread_x", run_id="run_x", mode="reschedule", outage_budget=300
        )

    emu.fault("/v1/*", method="GET", status=503, count=100)
    store = Store()
    context = {"task_state_store": store}
    assert fresh_sensor().poke(context).is_done is False
    kept = store["openai_sensor"]["outage"]
    assert kept["failures"] == 1 and "503" in kept["last_error"]
    kept["last_success"] = time.time() - 600
    with pytest.raises(AirflowException, match="Stopped waiting for run run_x on thread thread_x"):
        fresh_sensor().poke(context)
