"""OpenAIBatchTrigger in an event loop against the emulator: its events, its serialization, its kill."""

from __future__ import annotations

import asyncio
import json
import time

from airflow_openai.triggers.batch import OpenAIBatchTrigger
from airflow_openai.triggers.job import OpenAIJobTrigger
from tests.support.batches import chat_line, jsonl

FAST = {"minimum": 0.1, "maximum": 1.0, "fraction": 0.1}


def _batch(hook, lines):
    source = hook.create_file(jsonl(lines), "batch", "in.jsonl")
    return hook.create_batch(source.id, "/v1/chat/completions").id


async def _first_event(trigger):
    async for event in trigger.run():
        return event.payload
    raise AssertionError("the trigger ended without an event")


def test_serializes_only_the_connection_id_and_plain_values(openai_emulator_clean):
    trigger = OpenAIBatchTrigger(["batch_1"], "openai_default", deadline=123.0, pacing=FAST)
    path, kwargs = trigger.serialize()
    assert path == "airflow_openai.triggers.job.OpenAIJobTrigger"
    assert kwargs["kind"] == "batch" and kwargs["ref"] == {"ids": ["batch_1"]}
    text = json.dumps(kwargs)
    assert openai_emulator_clean.api_key not in text and "sk-" not in text
    assert OpenAIJobTrigger(**kwargs).serialize() == (path, kwargs)


def test_success_when_every_batch_finished(openai_emulator_clean, emu_hook):
    ids = [_batch(emu_hook, [chat_line(n) for n in range(20)]) for _ in range(2)]
    payload = asyncio.run(_first_event(OpenAIBatchTrigger(ids, pacing=FAST)))
    assert payload["status"] == "success" and payload["statuses"] == {i: "completed" for i in ids}


def test_failed_batch_ends_the_wait_with_the_reason(openai_emulator_clean, emu_hook):
    good = _batch(emu_hook, [chat_line(1)])
    bad = _batch(emu_hook, [chat_line(1), "{nope"])
    payload = asyncio.run(_first_event(OpenAIBatchTrigger([good, bad], pacing=FAST)))
    assert payload["status"] == "failed" and "line 2: invalid_json_line" in payload["message"]


def test_deadline_ends_the_wait_with_timeout(openai_emulator_clean, emu_hook):
    openai_emulator_clean.set_speed(1)
    batch_id = _batch(emu_hook, [chat_line(1)])
    started = time.monotonic()
    payload = asyncio.run(
        _first_event(OpenAIBatchTrigger([batch_id], deadline=time.time() + 0.5, pacing=FAST))
    )
    assert payload["status"] == "timeout" and time.monotonic() - started < 3


def test_transient_polling_errors_are_tolerated(openai_emulator_clean, emu_hook):
    batch_id = _batch(emu_hook, [chat_line(1)])
    openai_emulator_clean.fault("/v1/batches/*", method="GET", status=503, count=4)
    payload = asyncio.run(_first_event(OpenAIBatchTrigger([batch_id], pacing=FAST)))
    assert payload["status"] == "success"


def test_a_missing_batch_is_an_error_event_not_a_hang(openai_emulator_clean):
    payload = asyncio.run(_first_event(OpenAIBatchTrigger(["batch_gone"], pacing=FAST)))
    assert payload["status"] == "error" and "batch_gone" in payload["message"]


def test_on_kill_cancels_the_batches(openai_emulator_clean, emu_hook):
    openai_emulator_clean.set_speed(1)
    batch_id = _batch(emu_hook, [chat_line(n) for n in range(50)])
    asyncio.run(OpenAIBatchTrigger([batch_id]).on_kill())
    assert emu_hook.get_batch(batch_id).status == "cancelling"


def test_on_kill_cancels_every_batch_it_can_and_says_which_it_could_not(
    openai_emulator_clean, emu_hook, capsys
):
    openai_emulator_clean.set_speed(1)
    first, broken, last = (_batch(emu_hook, [chat_line(n) for n in range(50)]) for _ in range(3))
    openai_emulator_clean.fault(f"/v1/batches/{broken}/cancel", method="POST", status=500, count=10)
    ids = [first, broken, "batch_never_existed", last]

    asyncio.run(OpenAIBatchTrigger(ids).on_kill())
    log = capsys.readouterr().out  # the trigger logs through Airflow's structlog, as in a triggerer

    assert emu_hook.get_batch(first).status == emu_hook.get_batch(last).status == "cancelling"
    assert emu_hook.get_batch(broken).status in {"validating", "in_progress"}
    assert (
        f"On kill: cancelled 2 of 4 batches ({first}, {last}); "
        f"could not cancel {broken}, batch_never_existed" in log
    )
    assert f"Could not cancel batch {broken}: Injected fault (HTTP 500" in log


def test_a_status_added_later_is_waited_through_not_an_error(server, monkeypatch):
    from tests.support.keys import PROJECT_KEY
    from tests.support.scripted_server import Reply

    def batch(status):
        return {
            "id": "batch_new",
            "object": "batch",
            "endpoint": "/v1/chat/completions",
            "input_file_id": "file-in",
            "completion_window": "24h",
            "status": status,
            "created_at": 1711471533,
        }

    server.queue("GET", "/v1/batches/batch_new", Reply(200, batch("paused")), Reply(200, batch("completed")))
    connection = {"conn_type": "openai_platform", "host": server.base_url, "password": PROJECT_KEY}
    monkeypatch.setenv("AIRFLOW_CONN_SCRIPTED_BATCHES", json.dumps(connection))

    payload = asyncio.run(_first_event(OpenAIBatchTrigger(["batch_new"], "scripted_batches", pacing=FAST)))

    assert payload["status"] == "success" and payload["statuses"] == {"batch_new": "completed"}
    assert len(server.requests_to("/v1/batches/batch_new")) == 2
