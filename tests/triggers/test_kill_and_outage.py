"""The trigger cancels only for a task that is really stopped, and waits out an API outage.

Which user action ended the attempt is read from Airflow's supervisor channel, which exists
only inside a triggerer or a task process; here a stand-in answers `GetTaskStates` the way
the API server does (the real stack is exercised by `make e2e`). Batches and polls are real,
on the emulator.
"""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import pytest

from airflow_openai.outage import Outage
from airflow_openai.stopping import kill_verdict
from airflow_openai.triggers.batch import OpenAIBatchTrigger
from tests.support.batches import chat_line, jsonl

FAST = {"minimum": 0.05, "maximum": 0.5, "fraction": 0.1}


class TaskStates:
    """Answers `GetTaskStates` as the execution API does: {run_id: {task_id[_map_index]: state}}."""

    def __init__(self, state: str | None) -> None:
        self.state = state
        self.asked: list[object] = []

    async def asend(self, message):
        from airflow.sdk.execution_time.comms import TaskStatesResult

        self.asked.append(message)
        return TaskStatesResult(task_states={"run_1": {"summarise": self.state}})


def _batch(hook):
    source = hook.create_file(jsonl([chat_line(n) for n in range(5)]), "batch", "in.jsonl")
    return hook.create_batch(source.id, "/v1/chat/completions").id


def _trigger(batch_ids, **kwargs):
    trigger = OpenAIBatchTrigger(batch_ids, pacing=FAST, **kwargs)
    trigger.task_instance = SimpleNamespace(dag_id="dag", task_id="summarise", run_id="run_1", map_index=-1)
    return trigger


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
    monkeypatch, capsys, openai_emulator_clean, emu_hook, state, cancelled, why
):
    from airflow.sdk.execution_time import task_runner

    openai_emulator_clean.set_speed(0)  # the batch stays in progress
    batch_id = _batch(emu_hook)
    comms = TaskStates(state)
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", comms, raising=False)

    asyncio.run(_trigger([batch_id]).on_kill())

    status = emu_hook.get_batch(batch_id).status
    assert (status in ("cancelling", "cancelled")) is cancelled, status
    assert comms.asked and comms.asked[0].task_ids == ["summarise"] and comms.asked[0].run_ids == ["run_1"]
    assert why in capsys.readouterr().out


def test_without_a_supervisor_a_kill_is_taken_as_a_stop():
    verdict = kill_verdict(False, None)
    assert verdict.cancel and "could not be read" in verdict.why


def test_polls_that_fail_back_off_and_the_wait_goes_on_past_ten_of_them(openai_emulator_clean, emu_hook):
    """Ten failed polls in a row used to end the wait; within the outage budget twelve do not."""
    batch_id = _batch(emu_hook)
    openai_emulator_clean.fault(f"/v1/batches/{batch_id}", method="GET", status=503, count=36)

    async def first_event():
        from airflow_openai.client.policy import RetryPolicy
        from airflow_openai.hooks.openai import OpenAIHook

        trigger = _trigger([batch_id])
        fast = OpenAIHook(settings=emu_hook.settings, retry_policy=RetryPolicy(2, 0.001, 0.002))
        trigger._hook = lambda **_: (
            fast
        )  # the connection with quick transport retries; polling is the trigger's
        async for event in trigger.run():
            return event.payload

    payload = asyncio.run(first_event())

    assert payload["status"] == "success", payload
    assert openai_emulator_clean.requests(f"/v1/batches/{batch_id}", method="GET") > 36


def test_an_outage_longer_than_the_budget_ends_the_wait_naming_the_batches(openai_emulator_clean, emu_hook):
    batch_id = _batch(emu_hook)
    openai_emulator_clean.fault(f"/v1/batches/{batch_id}", method="GET", status=503, count=1000)

    async def first_event():
        trigger = _trigger([batch_id])
        trigger.pacing["outage_budget"] = 1.0
        async for event in trigger.run():
            return event.payload

    started = time.monotonic()
    payload = asyncio.run(first_event())

    assert payload["status"] == "error" and batch_id in payload["message"]
    assert "could not be reached" in payload["message"] and "outage budget 1s" in payload["message"]
    assert time.monotonic() - started < 60


def test_backoff_doubles_and_is_capped():
    outage = Outage(budget=1800, now=0, first_backoff=5)
    pauses = []
    for _ in range(8):
        outage.failed(RuntimeError("down"))
        pauses.append(outage.backoff())
    assert 4 <= pauses[0] <= 5 and all(b >= a * 0.75 for a, b in zip(pauses, pauses[1:], strict=False))
    assert max(pauses) <= 120 and not outage.exhausted(1799) and outage.exhausted(1800)
    outage.succeeded(1800)
    assert not outage.ongoing and not outage.exhausted(5000)


def test_a_trigger_started_again_on_an_old_batch_still_has_its_whole_outage_budget(
    openai_emulator_clean, emu_hook
):
    """After a triggerer restart the batch may be hours old: one failed poll must not end the wait."""
    batch_id = _batch(emu_hook)
    openai_emulator_clean.fault(f"/v1/batches/{batch_id}", method="GET", status=503, count=3)

    async def first_event():
        trigger = _trigger([batch_id], started_at=time.time() - 7200)
        async for event in trigger.run():
            return event.payload

    payload = asyncio.run(first_event())

    assert payload["status"] == "success", payload


@pytest.mark.parametrize(
    ("state", "in_worker", "cancel"),
    [
        ("running", True, True),  # execution_timeout, a worker shutting down: nobody takes over
        ("running", False, False),  # in the triggerer, a running task is the cleared task's new try
        ("restarting", True, False),
        ("up_for_retry", True, False),
    ],
)
def test_the_verdict_knows_who_asks(state, in_worker, cancel):
    assert kill_verdict(True, state, in_worker=in_worker).cancel is cancel


def test_errors_that_do_not_pass_by_waiting_are_no_outage():
    import httpx

    from airflow_openai.client import RateLimitError
    from airflow_openai.outage import is_outage

    def limited(code, headers=None):
        return RateLimitError("no", status_code=429, code=code, headers=httpx.Headers(headers or {}))

    assert is_outage(limited("rate_limit_exceeded"))
    assert not is_outage(limited("insufficient_quota"))
    assert not is_outage(limited(None, {"x-should-retry": "false"}))
