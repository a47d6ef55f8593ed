"""OpenAIFineTuningJobTrigger in an event loop against the emulator: its events, its log, its kill."""

from __future__ import annotations

import asyncio
import io
import json
import time

import pytest

from airflow_openai.fine_tuning.events import line
from airflow_openai.triggers.fine_tuning import OpenAIFineTuningJobTrigger
from airflow_openai.triggers.job import OpenAIJobTrigger
from tests.support.fine_tuning import jsonl_bytes, records

FAST = {"minimum": 0.1, "maximum": 0.5, "fraction": 0.1}


@pytest.fixture(autouse=True)
def fast_jobs(openai_emulator_clean):
    openai_emulator_clean.set_speed(600)


def _job(hook, count=12):
    training = hook.create_file(io.BytesIO(jsonl_bytes(records(count))), "fine-tune", "train.jsonl")
    return hook.create_fine_tuning_job("gpt-4o-mini", training.id).id


async def _first_event(trigger):
    async for event in trigger.run():
        return event.payload
    raise AssertionError("the trigger ended without an event")


def test_serializes_only_the_connection_id_and_plain_values(openai_emulator_clean):
    trigger = OpenAIFineTuningJobTrigger("ftjob-1", "openai_default", deadline=123.0, pacing=FAST)
    path, kwargs = trigger.serialize()
    assert path == "airflow_openai.triggers.job.OpenAIJobTrigger"
    assert kwargs["kind"] == "fine_tuning" and kwargs["ref"] == {"ids": ["ftjob-1"]}
    text = json.dumps(kwargs)
    assert openai_emulator_clean.api_key not in text and "sk-" not in text
    assert OpenAIJobTrigger(**kwargs).serialize() == (path, kwargs)


def test_a_trigger_serialized_by_an_earlier_release_still_runs(openai_emulator_clean):
    """Rows written before the one trigger class existed name the old class and carry a cursor."""
    old = {"job_id": "ftjob-1", "openai_conn_id": "c", "started_at": 1.0, "deadline": None,
           "pacing": FAST, "cursor": {"last_id": "ftevent-1", "last_at": 5}, "cancel_on_kill": False}  # fmt: skip
    path, kwargs = OpenAIFineTuningJobTrigger(**old).serialize()
    assert kwargs["ref"] == {"ids": ["ftjob-1"]} and kwargs["cancel_on_kill"] is False


def test_success_carries_the_model_and_logs_status_lines_not_events(openai_emulator_clean, emu_hook, capsys):
    """The events are the worker's to log when the task resumes: only it can record which were
    logged, so a clear, a retry or a triggerer restart logs none twice."""
    job_id = _job(emu_hook)
    payload = asyncio.run(_first_event(OpenAIFineTuningJobTrigger(job_id, pacing=FAST)))
    log = capsys.readouterr().out

    assert payload["status"] == "success" and payload["job_status"] == "succeeded"
    assert payload["fine_tuned_model"] == emu_hook.get_fine_tuning_job(job_id).fine_tuned_model
    assert f"Fine-tuning job {job_id} succeeded" in log
    for event in emu_hook.list_fine_tuning_events(job_id):
        assert line(job_id, event) not in log


def test_a_job_failing_at_a_step_ends_the_wait_with_the_servers_message(openai_emulator_clean, emu_hook):
    openai_emulator_clean.fail_fine_tuning(at_step=2, message="Out of capacity at step 2")
    job_id = _job(emu_hook)
    payload = asyncio.run(_first_event(OpenAIFineTuningJobTrigger(job_id, pacing=FAST)))
    assert payload["status"] == "failed" and payload["job_status"] == "failed"
    assert "Out of capacity at step 2" in payload["message"]


def test_deadline_ends_the_wait_with_timeout(openai_emulator_clean, emu_hook):
    openai_emulator_clean.set_speed(1)
    job_id = _job(emu_hook)
    started = time.monotonic()
    trigger = OpenAIFineTuningJobTrigger(job_id, deadline=time.time() + 0.5, pacing=FAST)
    payload = asyncio.run(_first_event(trigger))
    assert payload["status"] == "timeout" and time.monotonic() - started < 3


def test_an_outage_is_waited_out(openai_emulator_clean, emu_hook):
    job_id = _job(emu_hook)
    openai_emulator_clean.fault("/v1/fine_tuning/jobs/*", method="GET", status=503, count=4)
    payload = asyncio.run(_first_event(OpenAIFineTuningJobTrigger(job_id, pacing=FAST)))
    assert payload["status"] == "success"


def test_a_missing_job_is_an_error_event_not_a_hang(openai_emulator_clean):
    payload = asyncio.run(_first_event(OpenAIFineTuningJobTrigger("ftjob-gone", pacing=FAST)))
    assert payload["status"] == "error" and "ftjob-gone" in payload["message"]


def test_on_kill_cancels_the_job(openai_emulator_clean, emu_hook):
    openai_emulator_clean.set_speed(1)
    job_id = _job(emu_hook)
    asyncio.run(OpenAIFineTuningJobTrigger(job_id).on_kill())
    assert emu_hook.get_fine_tuning_job(job_id).status == "cancelled"


def test_on_kill_leaves_the_job_when_cancel_on_kill_is_off(openai_emulator_clean, emu_hook):
    openai_emulator_clean.set_speed(1)
    job_id = _job(emu_hook)
    asyncio.run(OpenAIFineTuningJobTrigger(job_id, cancel_on_kill=False).on_kill())
    assert emu_hook.get_fine_tuning_job(job_id).status != "cancelled"


@pytest.mark.parametrize(
    ("state", "cancelled", "why"),
    [("failed", True, "marked failed"), ("success", False, "marked success"), ("queued", False, "cleared")],
)
def test_on_kill_cancels_only_a_task_that_is_really_stopped(
    monkeypatch, capsys, openai_emulator_clean, emu_hook, state, cancelled, why
):
    """Which user action ended the attempt comes from Airflow's supervisor channel, stood in for
    here as in the batch trigger's tests; the job and the cancel are real."""
    from types import SimpleNamespace

    from airflow.sdk.execution_time import task_runner

    from tests.triggers.test_kill_and_outage import TaskStates

    openai_emulator_clean.set_speed(0)
    job_id = _job(emu_hook)
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", TaskStates(state), raising=False)
    trigger = OpenAIFineTuningJobTrigger(job_id, pacing=FAST)
    trigger.task_instance = SimpleNamespace(dag_id="dag", task_id="summarise", run_id="run_1", map_index=-1)

    asyncio.run(trigger.on_kill())

    assert (emu_hook.get_fine_tuning_job(job_id).status == "cancelled") is cancelled
    assert why in capsys.readouterr().out
