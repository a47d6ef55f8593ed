"""OpenAIVectorStoreFileBatchSensor in poke, reschedule and deferrable mode, through `dag.test()`,
and its deferred ends driven by hand."""

from __future__ import annotations

import asyncio
import io
import time

import pytest

from tests.support.dag_runner import run_dag, task_states, xcom_value


async def _first_event(trigger):
    async for event in trigger.run():
        return event.payload
    raise AssertionError("the trigger ended without an event")


def _files(hook, count, prefix="f", body=b"# notes\n" * 20):
    return [hook.create_file(io.BytesIO(body), "assistants", f"{prefix}{n}.md").id for n in range(count)]


def _store_and_batch(hook, count=3, prefix="f"):
    store = hook.create_vector_store(name="s")
    return store.id, hook.create_vector_store_file_batch(store.id, _files(hook, count, prefix)).id


def _sensor(**kwargs):
    from airflow_openai.sensors.vector_stores import OpenAIVectorStoreFileBatchSensor

    return OpenAIVectorStoreFileBatchSensor(task_id="wait", poke_interval=0.1, **kwargs)


@pytest.mark.parametrize("mode", ["poke", "reschedule", "deferrable"])
def test_waits_for_a_batch_an_upstream_task_created_and_returns_it(
    airflow_db, emu, emu_hook, new_dag, capsys, mode
):
    from airflow.sdk import task

    # 16 files, 8 at a time: about eight real seconds at a quarter speed, so the sensor (and in
    # deferrable mode its trigger) still sees the batch in progress on a slow, shared machine
    emu.set_speed(0.25)
    store_id = emu_hook.create_vector_store(name="s").id
    files = _files(emu_hook, 16)
    with new_dag() as dag:

        @task
        def add_files():
            from airflow_openai.hooks.openai import OpenAIHook

            with OpenAIHook() as hook:  # openai_default: the emulator
                return hook.create_vector_store_file_batch(store_id, files).to_dict()

        added = add_files()
        added >> _sensor(
            vector_store_id="{{ ti.xcom_pull(task_ids='add_files')['vector_store_id'] }}",
            batch_id="{{ ti.xcom_pull(task_ids='add_files')['id'] }}",
            mode="reschedule" if mode == "reschedule" else "poke",
            deferrable=mode == "deferrable",
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"add_files": "success", "wait": "success"}
    batch = xcom_value(dag_run, "wait")
    assert batch["id"] == xcom_value(dag_run, "add_files")["id"] and batch["vector_store_id"] == store_id
    assert batch["status"] == "completed" and batch["file_counts"]["completed"] == 16
    log = capsys.readouterr().out
    assert f"Vector store file batch {batch['id']} is in_progress" in log
    assert ("[airflow_openai.triggers.job.OpenAIJobTrigger]" in log) is (
        mode == "deferrable"
    )  # the trigger polled: the sensor deferred


def test_fails_with_the_reason_when_every_file_failed(airflow_db, emu, emu_hook, new_dag, capsys):
    emu.set_speed(600)
    store = emu_hook.create_vector_store(name="s")
    files = _files(emu_hook, 2, "bad")
    for file_id in files:
        emu.fail_vector_store_file(file_id, code="invalid_file", message="The file could not be parsed.")
    batch_id = emu_hook.create_vector_store_file_batch(store.id, files).id
    with new_dag() as dag:
        _sensor(vector_store_id=store.id, batch_id=batch_id)
    dag_run = run_dag(dag)
    log = capsys.readouterr().out

    assert task_states(dag_run) == {"wait": "failed"}
    assert f"Vector store file batch {batch_id} failed: its files could not be indexed" in log
    assert f"{files[0]}: invalid_file: The file could not be parsed." in log


def test_fails_when_the_batch_was_cancelled_elsewhere(emu, emu_hook):
    from airflow.sdk.exceptions import AirflowException

    emu.set_speed(0)  # the clock moves only when advanced
    store_id, batch_id = _store_and_batch(emu_hook)
    emu_hook.cancel_vector_store_file_batch(store_id, batch_id)
    emu.advance(3)

    with pytest.raises(AirflowException, match="cancelled: it was cancelled outside this task"):
        _sensor(vector_store_id=store_id, batch_id=batch_id).poke({})


@pytest.mark.parametrize(("max_failed_files", "state"), [(None, "success"), (1, "success"), (0, "failed")])
def test_max_failed_files_fails_a_completed_batch_with_too_many_failed_files(
    airflow_db, emu, emu_hook, new_dag, capsys, max_failed_files, state
):
    emu.set_speed(600)
    store = emu_hook.create_vector_store(name="s")
    emu.fail_vector_store_file(filename="f1.md", code="unsupported_file", message="Unsupported file type.")
    batch_id = emu_hook.create_vector_store_file_batch(store.id, _files(emu_hook, 3)).id
    with new_dag() as dag:
        _sensor(vector_store_id=store.id, batch_id=batch_id, max_failed_files=max_failed_files)
    dag_run = run_dag(dag)
    log = capsys.readouterr().out

    assert task_states(dag_run) == {"wait": state}
    if state == "success":
        assert xcom_value(dag_run, "wait")["file_counts"]["failed"] == 1
    else:
        assert (
            f"1 files of file batch {batch_id} of vector store {store.id} failed, "
            "more than max_failed_files=0 allows (2 of 3 completed)" in log
        )
        assert ": unsupported_file: Unsupported file type." in log


def test_max_failed_files_applies_to_a_deferred_wait_too(emu, emu_hook):
    from airflow.sdk.exceptions import AirflowException, TaskDeferred

    emu.set_speed(0)  # in progress when the sensor first looks, so it defers
    store = emu_hook.create_vector_store(name="s")
    emu.fail_vector_store_file(filename="f0.md", code="invalid_file", message="Not valid.")
    emu.fail_vector_store_file(filename="f2.md", code="invalid_file", message="Not valid.")
    batch_id = emu_hook.create_vector_store_file_batch(store.id, _files(emu_hook, 4)).id
    sensor = _sensor(vector_store_id=store.id, batch_id=batch_id, max_failed_files=1, deferrable=True)
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    emu.advance(5)

    event = asyncio.run(_first_event(deferred.value.trigger))
    assert event["status"] == "success"
    assert event["counts"][batch_id] == {"completed": 2, "failed": 2, "cancelled": 0, "total": 4}
    with pytest.raises(
        AirflowException, match="2 files of file batch .* failed, more than max_failed_files=1"
    ):
        sensor.execute_complete({}, event)


def test_a_deferred_wait_past_its_timeout_is_a_sensor_timeout_naming_the_batch(emu, emu_hook):
    from airflow.sdk.exceptions import AirflowSensorTimeout, TaskDeferred

    emu.set_speed(0)  # the batch stays in progress
    store_id, batch_id = _store_and_batch(emu_hook)
    sensor = _sensor(vector_store_id=store_id, batch_id=batch_id, timeout=0.5, deferrable=True)
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    trigger = deferred.value.trigger
    assert trigger.cancel_on_kill is False  # the sensor only watches

    event = asyncio.run(_first_event(trigger))
    assert event["status"] == "timeout"
    with pytest.raises(AirflowSensorTimeout) as timed_out:
        sensor.execute_complete({}, event)
    assert str(timed_out.value) == (
        f"File batch {batch_id} of vector store {store_id} did not finish within the sensor's timeout "
        "of 0.5 s (its last status: in_progress)"
    )


def test_a_deferred_batch_that_failed_is_a_failure_with_its_reason_not_a_timeout(emu, emu_hook):
    from airflow.sdk.exceptions import AirflowException, AirflowSensorTimeout, TaskDeferred

    emu.set_speed(0)
    store = emu_hook.create_vector_store(name="s")
    files = _files(emu_hook, 1, "bad")
    emu.fail_vector_store_file(files[0], code="invalid_file", message="The file is empty.")
    batch_id = emu_hook.create_vector_store_file_batch(store.id, files).id
    sensor = _sensor(vector_store_id=store.id, batch_id=batch_id, deferrable=True)
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    emu.advance(2)

    event = asyncio.run(_first_event(deferred.value.trigger))
    assert event["status"] == "failed"
    with pytest.raises(AirflowException, match=f"{files[0]}: invalid_file: The file is empty.") as failed:
        sensor.execute_complete({}, event)
    assert not isinstance(failed.value, AirflowSensorTimeout)


def test_an_outage_ends_a_rescheduled_sensor_after_its_budget(emu):
    """Each rescheduled poke is a new process with a new sensor object: the outage is counted
    through the task state store, so the budget ends the wait."""
    from airflow.sdk.exceptions import AirflowException

    class Store(dict):
        def set(self, key, value):
            self[key] = value

    def fresh_sensor():
        return _sensor(vector_store_id="vs_x", batch_id="vsfb_x", mode="reschedule", outage_budget=300)

    emu.fault("/v1/*", method="GET", status=503, count=100)
    store = Store()
    context = {"task_state_store": store}
    assert fresh_sensor().poke(context).is_done is False
    kept = store["openai_sensor"]["outage"]
    assert kept["failures"] == 1 and "503" in kept["last_error"]
    kept["last_success"] = time.time() - 600  # the outage began ten minutes of pokes ago
    with pytest.raises(
        AirflowException,
        match="Stopped waiting for file batch vsfb_x of vector store vs_x: .*could not be reached",
    ):
        fresh_sensor().poke(context)


def test_a_negative_max_failed_files_is_refused_when_the_dag_is_parsed():
    with pytest.raises(ValueError, match="max_failed_files must be 0 or more"):
        _sensor(vector_store_id="vs_1", batch_id="vsfb_1", max_failed_files=-1)
