"""What the four job operators share (`OpenAIJobOperator`), against the emulator: resuming an event
fired by an earlier release, the timeout rule when a cancel cannot get through, and what a task
keeps without a task state store."""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowFailException, TaskDeferred

from airflow_openai.operators.batch import OpenAIBatchOperator
from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator
from tests.support.batches import wait_for
from tests.support.fine_tuning import records
from tests.support.task_instance import TaskInstanceStandIn

BASE = "gpt-4o-mini-2024-07-18"


def _batch_operator(tmp_path, **kwargs):
    return OpenAIBatchOperator(
        task_id="batch",
        prompts=["a", "b", "c"],
        model="gpt-4o-mini",
        output_path=str(tmp_path / "out.jsonl"),
        poll_interval=0.05,
        **kwargs,
    )


def test_an_event_fired_before_the_upgrade_still_resumes_the_task(emu, emu_hook, tmp_path):
    """A task deferred under the previous release resumes with that release's event: no `ref`, the
    batch ids in `batch_ids`."""
    ti = TaskInstanceStandIn("batch")
    with pytest.raises(TaskDeferred) as deferred:
        _batch_operator(tmp_path, deferrable=True).execute({"ti": ti})
    (batch_id,) = deferred.value.trigger.ref["ids"]
    wait_for(emu_hook, batch_id)
    old_event = {"status": "success", "batch_ids": [batch_id], "statuses": {}, "message": "done"}

    manifest = _batch_operator(tmp_path, deferrable=True).execute_complete(
        {"ti": ti}, old_event, **deferred.value.kwargs
    )

    assert manifest["batch_ids"] == [batch_id] and manifest["succeeded"] == 3
    assert len(list(emu_hook.list_batches())) == 1


def test_a_timeout_whose_cancel_cannot_get_through_leaves_the_task_to_a_retry(emu, emu_hook, tmp_path):
    """The batch still runs (and bills): failing for good would leave it to nobody."""
    emu.set_speed(0)  # the batch stays in progress
    emu.fault("/v1/batches/*/cancel", method="POST", status=503, count=100)
    op = _batch_operator(tmp_path, timeout=0.3)

    with pytest.raises(AirflowException) as raised:
        op.execute({"ti": TaskInstanceStandIn("batch")})

    assert not isinstance(raised.value, AirflowFailException)
    assert "could not be cancelled" in str(raised.value) and "a retry reattaches" in str(raised.value)
    (batch,) = emu_hook.list_batches()
    assert batch.status not in ("cancelling", "cancelled")


def test_without_a_task_state_store_the_events_are_still_logged_once(emu, emu_hook, capsys):
    """A script or a test calling `execute` has no store: the record lives in memory for the attempt."""
    from airflow_openai.fine_tuning.events import line

    emu.set_speed(600)
    op = OpenAIFineTuningJobOperator(
        task_id="fine_tune", model=BASE, training_file=records(12), poll_interval=0.05
    )
    op.execute({"ti": TaskInstanceStandIn("fine_tune")})
    log = capsys.readouterr().out

    (job,) = emu_hook.list_fine_tuning_jobs()
    events = list(emu_hook.list_fine_tuning_events(job.id))
    assert len(events) > 5
    for event in events:
        assert log.count(line(job.id, event)) == 1


def test_a_sensor_keeps_reading_what_an_earlier_release_stored():
    from airflow_openai.records import RecordStore
    from airflow_openai.sensors.record import SensorRecord

    class Store(dict):
        def set(self, key, value):
            self[key] = value

    store = Store(
        openai_sensor_outage={"failures": 2, "last_success": 5.0, "last_error": "down"},
        openai_fine_tuning_events={"last_id": "ftevent-9", "last_at": 9},
    )
    kept = RecordStore(store, SensorRecord).read()
    assert kept.outage["failures"] == 2 and kept.cursor == {"last_id": "ftevent-9", "last_at": 9}
