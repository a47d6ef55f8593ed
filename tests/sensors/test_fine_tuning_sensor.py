"""OpenAIFineTuningJobSensor in poke, reschedule and deferrable mode, through `dag.test()`."""

from __future__ import annotations

import asyncio
import io

import pytest

from tests.support.dag_runner import run_dag, task_states, xcom_value
from tests.support.fine_tuning import jsonl_bytes, records


@pytest.fixture(autouse=True)
def fast_jobs(emu):
    emu.set_speed(600)


def _job(hook):
    training = hook.create_file(io.BytesIO(jsonl_bytes(records(12))), "fine-tune", "train.jsonl")
    return hook.create_fine_tuning_job("gpt-4o-mini", training.id).id


@pytest.mark.parametrize("mode", ["poke", "reschedule", "deferrable"])
def test_waits_for_a_job_logs_its_events_once_and_returns_it(
    airflow_db, emu, emu_hook, new_dag, capsys, mode
):
    from airflow_openai.fine_tuning.events import line
    from airflow_openai.sensors.fine_tuning import OpenAIFineTuningJobSensor

    job_id = _job(emu_hook)
    with new_dag() as dag:
        OpenAIFineTuningJobSensor(
            task_id="wait",
            job_id=job_id,
            poke_interval=0.2,
            mode="reschedule" if mode == "reschedule" else "poke",
            deferrable=mode == "deferrable",
        )
    dag_run = run_dag(dag)
    log = capsys.readouterr().out

    assert task_states(dag_run) == {"wait": "success"}
    job = xcom_value(dag_run, "wait")
    assert job["status"] == "succeeded" and job["fine_tuned_model"].startswith("ft:gpt-4o-mini")
    for event in emu_hook.list_fine_tuning_events(job_id):
        assert log.count(line(job_id, event)) == 1, event.message


def test_fails_with_the_servers_message_when_the_job_failed(airflow_db, emu, emu_hook, new_dag, capsys):
    from airflow_openai.sensors.fine_tuning import OpenAIFineTuningJobSensor

    emu.fail_fine_tuning(at_step=1, message="Training diverged")
    job_id = _job(emu_hook)
    with new_dag() as dag:
        OpenAIFineTuningJobSensor(task_id="wait", job_id=job_id, poke_interval=0.2)
    dag_run = run_dag(dag)
    assert task_states(dag_run) == {"wait": "failed"}
    assert "Training diverged" in capsys.readouterr().out


def test_a_deferred_wait_past_its_timeout_is_a_sensor_timeout_naming_the_job(emu, emu_hook):
    from airflow.sdk.exceptions import AirflowSensorTimeout, TaskDeferred

    from airflow_openai.sensors.fine_tuning import OpenAIFineTuningJobSensor

    emu.set_speed(0)  # the job stays where it is
    job_id = _job(emu_hook)
    sensor = OpenAIFineTuningJobSensor(
        task_id="wait", job_id=job_id, poke_interval=0.1, timeout=0.5, deferrable=True
    )
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    payload = None

    async def first():
        async for event in deferred.value.trigger.run():
            return event.payload

    payload = asyncio.run(first())
    assert payload["status"] == "timeout"
    with pytest.raises(AirflowSensorTimeout, match=f"Fine-tuning job {job_id} did not finish within"):
        sensor.execute_complete({}, payload)


@pytest.mark.parametrize("sensor_kind", ["batch", "fine_tuning"])
def test_an_outage_ends_a_rescheduled_sensor_after_its_budget(emu, sensor_kind):
    """In reschedule mode each poke is a new process with a new sensor object: the outage is
    counted through the task state store, so the budget ends the wait."""
    import time

    from airflow.sdk.exceptions import AirflowException

    from airflow_openai.sensors.batch import OpenAIBatchSensor
    from airflow_openai.sensors.fine_tuning import OpenAIFineTuningJobSensor

    class Store(dict):
        def set(self, key, value):
            self[key] = value

    def fresh_sensor():
        if sensor_kind == "batch":
            return OpenAIBatchSensor(task_id="wait", batch_id="batch_x", mode="reschedule", outage_budget=300)
        return OpenAIFineTuningJobSensor(
            task_id="wait", job_id="ftjob-x", mode="reschedule", outage_budget=300
        )

    emu.fault("/v1/*", method="GET", status=503, count=100)
    store = Store()
    context = {"task_state_store": store}
    assert fresh_sensor().poke(context).is_done is False
    kept = store["openai_sensor"]["outage"]
    assert kept["failures"] == 1 and "503" in kept["last_error"]
    kept["last_success"] = time.time() - 600  # the outage began ten minutes of pokes ago
    with pytest.raises(AirflowException, match="Stopped waiting for .*could not be reached"):
        fresh_sensor().poke(context)
