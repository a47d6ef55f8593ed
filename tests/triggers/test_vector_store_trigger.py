"""OpenAIVectorStoreFileBatchTrigger in an event loop against the emulator: its events, its
serialization, its outage handling and its kill."""

from __future__ import annotations

import asyncio
import io
import json
import time
from types import SimpleNamespace

import pytest

from airflow_openai.triggers.job import OpenAIJobTrigger
from airflow_openai.triggers.vector_stores import OpenAIVectorStoreFileBatchTrigger
from tests.triggers.test_kill_and_outage import TaskStates

FAST = {"minimum": 0.05, "maximum": 0.5, "fraction": 0.1}
PATH = "airflow_openai.triggers.job.OpenAIJobTrigger"


async def _first_event(trigger):
    async for event in trigger.run():
        return event.payload
    raise AssertionError("the trigger ended without an event")


def _files(hook, count, prefix="f", body=b"# notes\n" * 20):
    return [hook.create_file(io.BytesIO(body), "assistants", f"{prefix}{n}.md").id for n in range(count)]


def _store_and_batch(hook, count=3):
    store = hook.create_vector_store(name="s")
    return store.id, hook.create_vector_store_file_batch(store.id, _files(hook, count)).id


def _trigger(store_id, batch_ids, **kwargs):
    trigger = OpenAIVectorStoreFileBatchTrigger(store_id, batch_ids, pacing=dict(FAST), **kwargs)
    trigger.task_instance = SimpleNamespace(dag_id="dag", task_id="summarise", run_id="run_1", map_index=-1)
    return trigger


def test_serializes_only_the_connection_id_and_plain_values(emu):
    trigger = OpenAIVectorStoreFileBatchTrigger("vs_1", ["vsfb_1"], deadline=123.0, pacing=FAST)
    path, kwargs = trigger.serialize()
    assert path == PATH
    text = json.dumps(kwargs)
    assert emu.api_key not in text and "sk-" not in text
    assert kwargs["openai_conn_id"] == "openai_default" and kwargs["cancel_on_kill"] is True
    assert kwargs["ref"] == {"ids": ["vsfb_1"], "vector_store_id": "vs_1"}
    assert OpenAIJobTrigger(**kwargs).serialize() == (path, kwargs)


def test_success_when_every_batch_completed_with_the_counts_of_each(emu, emu_hook):
    emu.set_speed(600)
    store = emu_hook.create_vector_store(name="s")
    first = emu_hook.create_vector_store_file_batch(store.id, _files(emu_hook, 3, "a")).id
    second = emu_hook.create_vector_store_file_batch(store.id, _files(emu_hook, 2, "b")).id

    payload = asyncio.run(_first_event(_trigger(store.id, [first, second])))

    assert payload["status"] == "success", payload
    assert payload["vector_store_id"] == store.id and payload["batch_ids"] == [first, second]
    assert payload["statuses"] == {first: "completed", second: "completed"}
    assert payload["counts"] == {
        first: {"completed": 3, "failed": 0, "cancelled": 0, "total": 3},
        second: {"completed": 2, "failed": 0, "cancelled": 0, "total": 2},
    }
    assert payload["message"] == (
        f"2 file batches of vector store {store.id} finished: 5 of 5 files completed, 0 failed"
    )


def test_files_that_failed_in_a_completed_batch_are_counted_not_a_failure(emu, emu_hook):
    emu.set_speed(600)
    store = emu_hook.create_vector_store(name="s")
    emu.fail_vector_store_file(filename="f1.md", code="invalid_file", message="The file is not valid.")
    batch_id = emu_hook.create_vector_store_file_batch(store.id, _files(emu_hook, 3)).id

    payload = asyncio.run(_first_event(_trigger(store.id, [batch_id])))

    assert payload["status"] == "success", payload
    assert payload["counts"][batch_id] == {"completed": 2, "failed": 1, "cancelled": 0, "total": 3}
    assert "2 of 3 files completed, 1 failed" in payload["message"]


def test_a_failed_batch_ends_the_wait_with_its_counts(emu, emu_hook):
    emu.set_speed(600)
    store = emu_hook.create_vector_store(name="s")
    good = emu_hook.create_vector_store_file_batch(store.id, _files(emu_hook, 2, "good")).id
    bad_files = _files(emu_hook, 2, "bad")
    for file_id in bad_files:
        emu.fail_vector_store_file(file_id, code="unsupported_file", message="Unsupported.")
    bad = emu_hook.create_vector_store_file_batch(store.id, bad_files).id

    payload = asyncio.run(_first_event(_trigger(store.id, [good, bad])))

    assert payload["status"] == "failed", payload
    assert payload["statuses"][bad] == "failed"
    assert payload["message"] == (
        f"Vector store file batch {bad} failed: its files could not be indexed; "
        "0 of 2 files completed, 2 failed"
    )


def test_a_batch_cancelled_elsewhere_ends_the_wait_as_a_failure(emu, emu_hook):
    emu.set_speed(0)  # the clock moves only when advanced
    store_id = emu_hook.create_vector_store(name="s").id
    files = _files(emu_hook, 3, body=b"x" * 200 * 1024)  # 5 s each: still in progress when cancelled
    batch_id = emu_hook.create_vector_store_file_batch(store_id, files).id
    emu_hook.cancel_vector_store_file_batch(store_id, batch_id)
    emu.advance(3)  # past the two seconds of cancelling

    payload = asyncio.run(_first_event(_trigger(store_id, [batch_id])))

    assert payload["status"] == "failed" and payload["statuses"] == {batch_id: "cancelled"}
    assert "cancelled outside this task" in payload["message"]
    assert payload["counts"][batch_id]["cancelled"] == 3


def test_the_deadline_ends_the_wait_with_timeout(emu, emu_hook):
    emu.set_speed(0)  # the batch stays in progress
    store_id, batch_id = _store_and_batch(emu_hook)
    started = time.monotonic()

    payload = asyncio.run(_first_event(_trigger(store_id, [batch_id], deadline=time.time() + 0.5)))

    assert payload["status"] == "timeout" and time.monotonic() - started < 3
    assert payload["statuses"] == {batch_id: "in_progress"}
    assert payload["counts"][batch_id] == {"completed": 0, "failed": 0, "cancelled": 0, "total": 3}


def test_polls_that_fail_are_waited_through(emu, emu_hook):
    emu.set_speed(600)
    store_id, batch_id = _store_and_batch(emu_hook)
    emu.fault(f"/v1/vector_stores/{store_id}/file_batches/*", method="GET", status=503, count=4)

    payload = asyncio.run(_first_event(_trigger(store_id, [batch_id])))

    assert payload["status"] == "success", payload
    assert emu.requests(f"/v1/vector_stores/{store_id}/file_batches/*", method="GET") > 4


def test_an_outage_longer_than_the_budget_ends_the_wait_naming_the_batches(emu, emu_hook):
    store_id, batch_id = _store_and_batch(emu_hook)
    emu.fault(f"/v1/vector_stores/{store_id}/file_batches/*", method="GET", status=503, count=1000)
    trigger = _trigger(store_id, [batch_id])
    trigger.pacing["outage_budget"] = 1.0
    started = time.monotonic()

    payload = asyncio.run(_first_event(trigger))

    assert (
        payload["status"] == "error"
        and f"file batch {batch_id} of vector store {store_id}" in (payload["message"])
    )
    assert "could not be reached" in payload["message"] and "outage budget 1s" in payload["message"]
    assert time.monotonic() - started < 60


def test_a_missing_batch_is_an_error_event_not_a_hang(emu, emu_hook):
    store = emu_hook.create_vector_store(name="s")

    payload = asyncio.run(_first_event(_trigger(store.id, ["vsfb_gone"])))

    assert payload["status"] == "error" and "vsfb_gone" in payload["message"]
    assert payload["statuses"] == {} and payload["counts"] == {}


@pytest.mark.parametrize(
    ("state", "cancelled", "why"),
    [
        ("failed", True, "marked failed"),
        ("success", False, "marked success"),
        ("queued", False, "cleared"),
        (None, False, "cleared"),
    ],
)
def test_on_kill_cancels_only_a_task_that_is_really_stopped(
    monkeypatch, capsys, emu, emu_hook, state, cancelled, why
):
    from airflow.sdk.execution_time import task_runner

    emu.set_speed(0)  # the batch stays in progress
    store_id, batch_id = _store_and_batch(emu_hook)
    comms = TaskStates(state)
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", comms, raising=False)

    asyncio.run(_trigger(store_id, [batch_id]).on_kill())

    status = emu_hook.get_vector_store_file_batch(store_id, batch_id).status
    assert (status in ("cancelling", "cancelled")) is cancelled, status
    assert comms.asked and comms.asked[0].task_ids == ["summarise"] and comms.asked[0].run_ids == ["run_1"]
    assert why in capsys.readouterr().out


def test_on_kill_with_cancel_on_kill_off_leaves_the_batches_alone(monkeypatch, capsys, emu, emu_hook):
    from airflow.sdk.execution_time import task_runner

    emu.set_speed(0)
    store_id, batch_id = _store_and_batch(emu_hook)
    comms = TaskStates("failed")
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", comms, raising=False)

    asyncio.run(_trigger(store_id, [batch_id], cancel_on_kill=False).on_kill())

    assert emu_hook.get_vector_store_file_batch(store_id, batch_id).status == "in_progress"
    assert not comms.asked and "cancel_on_kill is off" in capsys.readouterr().out


def test_on_kill_cancels_every_batch_it_can_and_says_which_it_could_not(monkeypatch, capsys, emu, emu_hook):
    from airflow.sdk.execution_time import task_runner

    emu.set_speed(0)
    store = emu_hook.create_vector_store(name="s")
    first, broken, last = (
        emu_hook.create_vector_store_file_batch(store.id, _files(emu_hook, 2, f"b{n}_")).id for n in range(3)
    )
    emu.fault(
        f"/v1/vector_stores/{store.id}/file_batches/{broken}/cancel", method="POST", status=500, count=10
    )
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", TaskStates("failed"), raising=False)
    ids = [first, broken, "vsfb_never_existed", last]

    asyncio.run(_trigger(store.id, ids).on_kill())
    log = capsys.readouterr().out  # the trigger logs through Airflow's structlog, as in a triggerer

    statuses = {b: emu_hook.get_vector_store_file_batch(store.id, b).status for b in (first, broken, last)}
    assert statuses == {first: "cancelling", broken: "in_progress", last: "cancelling"}
    assert (
        f"On kill: cancelled 2 of 4 file batches ({first}, {last}); "
        f"could not cancel {broken}, vsfb_never_existed" in log
    )
    assert f"Could not cancel file batch {broken} of vector store {store.id}: Injected fault (HTTP 500" in log


def test_a_status_added_later_is_waited_through_not_an_error(server, monkeypatch):
    from tests.support.keys import PROJECT_KEY
    from tests.support.scripted_server import Reply

    def batch(status, completed):
        return {
            "id": "vsfb_new",
            "object": "vector_store.files_batch",
            "created_at": 1711471533,
            "vector_store_id": "vs_1",
            "status": status,
            "file_counts": {
                "in_progress": 2 - completed,
                "completed": completed,
                "failed": 0,
                "cancelled": 0,
                "total": 2,
            },
        }

    path = "/v1/vector_stores/vs_1/file_batches/vsfb_new"
    server.queue("GET", path, Reply(200, batch("paused", 1)), Reply(200, batch("completed", 2)))
    connection = {"conn_type": "openai_platform", "host": server.base_url, "password": PROJECT_KEY}
    monkeypatch.setenv("AIRFLOW_CONN_SCRIPTED_VECTOR_STORES", json.dumps(connection))

    trigger = OpenAIVectorStoreFileBatchTrigger("vs_1", ["vsfb_new"], "scripted_vector_stores", pacing=FAST)
    payload = asyncio.run(_first_event(trigger))

    assert payload["status"] == "success" and payload["statuses"] == {"vsfb_new": "completed"}
    assert len(server.requests_to(path)) == 2
