"""OpenAIBatchSensor in poke and deferrable mode, through `dag.test()`."""

from __future__ import annotations

import asyncio
import datetime

import pytest

from tests.support.batches import chat_line, jsonl
from tests.support.dag_runner import run_dag, task_states, xcom_value


async def _first_event(trigger):
    async for event in trigger.run():
        return event.payload
    raise AssertionError("the trigger ended without an event")


def _tries(dag_run):
    from airflow.utils.session import create_session

    with create_session() as session:
        return {ti.task_id: ti.try_number for ti in dag_run.get_task_instances(session=session)}


def _batch(hook, lines):
    return hook.create_batch(
        hook.create_file(jsonl(lines), "batch", "in.jsonl").id, "/v1/chat/completions"
    ).id


@pytest.mark.parametrize("deferrable", [False, True])
def test_waits_for_a_batch_and_returns_it(airflow_db, emu, emu_hook, new_dag, deferrable):
    from airflow_openai.sensors.batch import OpenAIBatchSensor

    batch_id = _batch(emu_hook, [chat_line(n) for n in range(10)])
    with new_dag() as dag:
        OpenAIBatchSensor(task_id="wait", batch_id=batch_id, poke_interval=0.2, deferrable=deferrable)
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"wait": "success"}
    assert xcom_value(dag_run, "wait")["status"] == "completed"


def test_fails_clearly_when_the_batch_failed(airflow_db, emu, emu_hook, new_dag):
    from airflow_openai.sensors.batch import OpenAIBatchSensor

    batch_id = _batch(emu_hook, ["not json"])
    with new_dag() as dag:
        OpenAIBatchSensor(task_id="wait", batch_id=batch_id, poke_interval=0.2, mode="reschedule")
    dag_run = run_dag(dag)
    assert task_states(dag_run) == {"wait": "failed"}


def test_a_deferred_wait_past_its_timeout_is_a_sensor_timeout_naming_the_batch(emu, emu_hook):
    from airflow.sdk.exceptions import AirflowSensorTimeout, TaskDeferred

    from airflow_openai.sensors.batch import OpenAIBatchSensor

    emu.set_speed(0)  # the batch stays where it is
    batch_id = _batch(emu_hook, [chat_line(1)])
    sensor = OpenAIBatchSensor(
        task_id="wait", batch_id=batch_id, poke_interval=0.1, timeout=0.5, deferrable=True
    )
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})

    event = asyncio.run(_first_event(deferred.value.trigger))
    assert event["status"] == "timeout"
    with pytest.raises(AirflowSensorTimeout) as timed_out:
        sensor.execute_complete({}, event)
    assert str(timed_out.value) == (
        f"Batch {batch_id} did not finish within the sensor's timeout of 0.5 s (its last status: validating)"
    )


def test_a_failed_batch_is_still_a_failure_with_its_reason_not_a_timeout(emu, emu_hook):
    from airflow.sdk.exceptions import AirflowException, AirflowSensorTimeout, TaskDeferred

    from airflow_openai.sensors.batch import OpenAIBatchSensor

    emu.set_speed(0)  # still validating when the sensor first looks, so it defers
    batch_id = _batch(emu_hook, [chat_line(1), "{nope"])
    sensor = OpenAIBatchSensor(task_id="wait", batch_id=batch_id, poke_interval=0.1, deferrable=True)
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    emu.set_speed(60)

    event = asyncio.run(_first_event(deferred.value.trigger))
    assert event["status"] == "failed"
    with pytest.raises(AirflowException, match="line 2: invalid_json_line") as failed:
        sensor.execute_complete({}, event)
    assert not isinstance(failed.value, AirflowSensorTimeout)


@pytest.mark.parametrize(("soft_fail", "state"), [(True, "skipped"), (False, "failed")])
def test_a_deferred_wait_that_timed_out_is_skipped_with_soft_fail_and_never_retried(
    airflow_db, emu, emu_hook, new_dag, soft_fail, state
):
    from airflow_openai.sensors.batch import OpenAIBatchSensor

    emu.set_speed(0)
    batch_id = _batch(emu_hook, [chat_line(1)])
    with new_dag() as dag:
        OpenAIBatchSensor(
            task_id="wait",
            batch_id=batch_id,
            poke_interval=0.2,
            timeout=1,
            soft_fail=soft_fail,
            deferrable=True,
            retries=1,
            retry_delay=datetime.timedelta(0),
        )
    dag_run = run_dag(dag)
    assert task_states(dag_run) == {"wait": state}
    assert _tries(dag_run) == {"wait": 1}
