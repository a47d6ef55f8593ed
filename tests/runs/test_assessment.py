"""One decision for an assistant run: its `assess` for every status, the watch's pacing, and the
hook's blocking wait that drives both (against the emulator, whose clock moves only when told)."""

from __future__ import annotations

import threading

import pytest

from airflow_openai.models import RunObject
from airflow_openai.outage import OutageExceeded
from airflow_openai.pacing import PollPacing
from airflow_openai.runs.assessment import assess
from tests.client.test_runs_calls import DONE, WEATHER
from tests.support.clients import hook_for

BASE = {"id": "run_1", "object": "thread.run", "created_at": 1, "thread_id": "thread_1", "assistant_id": "a"}
WAITING = {
    "type": "submit_tool_outputs",
    "submit_tool_outputs": {
        "tool_calls": [
            {"id": "call_abc", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}},
            {"id": "call_def", "type": "function", "function": {"name": "book", "arguments": '{"n": 2}'}},
        ]
    },
}


def _run(status, **fields):
    return RunObject.model_validate({**BASE, "status": status, **fields})


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("queued", "running"),
        ("in_progress", "running"),
        ("cancelling", "running"),
        ("requires_action", "action"),
        ("completed", "succeeded"),
        ("failed", "failed"),
        ("incomplete", "failed"),
        ("expired", "failed"),
        ("cancelled", "failed"),
        ("paused", "running"),
    ],
)
def test_every_status_has_one_meaning(status, outcome):
    assessment = assess(_run(status))
    assert assessment.outcome == outcome and assessment.finished is (outcome != "running")
    assert (assessment.run_id, assessment.thread_id, assessment.status) == ("run_1", "thread_1", status)


def test_running_says_where_the_run_stands():
    assert assess(_run("in_progress")).message == "Run run_1 on thread thread_1 is in_progress"


def test_completed_says_how_many_tokens_it_took():
    usage = {"prompt_tokens": 1200, "completion_tokens": 34, "total_tokens": 1234}
    assert assess(_run("completed", usage=usage)).message == (
        "Run run_1 on thread thread_1 completed: 1,234 tokens (1,200 prompt, 34 completion)"
    )
    assert assess(_run("completed")).message == "Run run_1 on thread thread_1 completed"


def test_requires_action_names_the_tools_waiting_and_carries_their_calls():
    assessment = assess(_run("requires_action", required_action=WAITING))
    assert assessment.message == (
        "Run run_1 on thread thread_1 requires tool outputs: get_weather(call_abc), book(call_def)"
    )
    assert assessment.tool_calls == (
        {"id": "call_abc", "name": "get_weather", "arguments": "{}"},
        {"id": "call_def", "name": "book", "arguments": '{"n": 2}'},
    )
    assert assess(_run("requires_action")).message.endswith("requires tool outputs: none listed")


def test_a_failure_names_the_servers_code_and_message():
    error = {"code": "rate_limit_exceeded", "message": "Slow down."}
    assert assess(_run("failed", last_error=error)).message == (
        "Run run_1 on thread thread_1 failed: Slow down. (rate_limit_exceeded)"
    )
    assert assess(_run("failed", last_error={"code": "server_error"})).message.endswith(
        "failed: server_error"
    )
    assert assess(_run("failed")).message.endswith("failed: no reason given")


def test_incomplete_names_the_limit_it_reached():
    reached = assess(_run("incomplete", incomplete_details={"reason": "max_completion_tokens"}))
    assert (
        reached.message == "Run run_1 on thread thread_1 ended incomplete: it reached max_completion_tokens"
    )
    assert assess(_run("incomplete")).message.endswith("ended incomplete: no reason given")


def test_expired_and_cancelled_say_when():
    expired = assess(_run("expired", expires_at=601))
    assert expired.message.startswith("Run run_1 on thread thread_1 expired at 1970-01-01 00:10:01 UTC")
    assert "expires 10 minutes after it was created" in expired.message
    cancelled = assess(_run("cancelled", cancelled_at=60))
    assert cancelled.message == (
        "Run run_1 on thread thread_1 was cancelled outside this task at 1970-01-01 00:01:00 UTC"
    )


def test_an_unknown_status_counts_as_running_and_says_so():
    assessment = assess(_run("paused"))
    assert assessment.outcome == "running" and "'paused', unknown to this provider" in assessment.message


# -- the hook's wait --------------------------------------------------------------------------------------


class Clock:
    """Real polls of the emulator, with the sleeps between them only counted (and the emulator's
    clock moved on by as much); each poll itself takes a hundredth of a second."""

    def __init__(self, emu) -> None:
        self.emu = emu
        self.now = 1_000.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds + 0.01
        self.emu.advance(seconds)

    def clock(self) -> float:
        return self.now


def _started(hook, *, tools=(), text="Weather in Oslo?", **run_options):
    assistant = hook.create_assistant("gpt-4o-mini", tools=list(tools))
    thread = hook.create_thread([{"role": "user", "content": text}])
    return hook.create_run(thread.id, assistant.id, **run_options)


def test_the_wait_returns_a_completed_run_having_heard_each_status_once(emu, emu_hook):
    emu.set_speed(0)
    run = _started(emu_hook)
    clock, heard = Clock(emu), []

    assessment = emu_hook.wait_for_run(
        run.thread_id, run.id, on_progress=heard.append, sleep=clock.sleep, clock=clock.clock
    )

    assert assessment.outcome == "succeeded" and assessment.status == "completed"
    assert [a.status for a in heard] == ["queued", "in_progress", "completed"]
    assert clock.slept[0] == 1.0 and sum(clock.slept) >= DONE


def test_the_wait_returns_on_tool_calls_and_again_once_they_are_answered(emu, emu_hook):
    emu.set_speed(0)
    run = _started(emu_hook, tools=[WEATHER])
    clock = Clock(emu)

    waiting = emu_hook.wait_for_run(run.thread_id, run.id, sleep=clock.sleep, clock=clock.clock)
    assert waiting.outcome == "action" and [c["name"] for c in waiting.tool_calls] == ["get_weather"]
    outputs = [{"tool_call_id": call["id"], "output": "Sunny"} for call in waiting.tool_calls]
    emu_hook.submit_tool_outputs(run.thread_id, run.id, outputs)

    done = emu_hook.wait_for_run(run.thread_id, run.id, sleep=clock.sleep, clock=clock.clock)
    assert done.outcome == "succeeded"


def test_the_wait_reports_a_failed_run_with_its_error(emu, emu_hook):
    emu.set_speed(0)
    emu.fail_run(code="invalid_prompt", message="Nope.")
    run = _started(emu_hook)
    clock = Clock(emu)

    failed = emu_hook.wait_for_run(run.thread_id, run.id, sleep=clock.sleep, clock=clock.clock)

    assert failed.outcome == "failed" and failed.message.endswith("failed: Nope. (invalid_prompt)")


def test_the_wait_ends_at_its_deadline(emu, emu_hook):
    from airflow_openai.hooks.waits import RunTimeout

    emu.set_speed(0)
    run = _started(emu_hook)
    clock = Clock(emu)
    clock.emu = type("Frozen", (), {"advance": lambda self, s: None})()  # the run stays queued

    with pytest.raises(RunTimeout, match=f"run {run.id} on thread {run.thread_id} did not finish"):
        emu_hook.wait_for_run(run.thread_id, run.id, deadline=1_010.0, sleep=clock.sleep, clock=clock.clock)
    assert sum(clock.slept) == pytest.approx(10.0, abs=0.2)


def test_the_wait_rides_out_an_outage_and_gives_up_after_its_budget(emu):
    """The hook retries nothing itself here, so every 503 reaches the wait."""
    emu.set_speed(0)
    with hook_for(emu.base_url, api_key=emu.api_key, max_retries=0) as hook:
        run = _started(hook)
        path = f"/v1/threads/{run.thread_id}/runs/{run.id}"
        emu.fault(path, method="GET", status=503, count=3)
        clock = Clock(emu)
        done = hook.wait_for_run(run.thread_id, run.id, sleep=clock.sleep, clock=clock.clock)
        assert done.outcome == "succeeded" and emu.requests(path, method="GET") == 3 + 1
        assert clock.slept[1:3] > [1.0, 1.0]  # backing off

        emu.fault(path, method="GET", status=503, count=1000)
        with pytest.raises(OutageExceeded, match="could not be reached"):
            hook.wait_for_run(
                run.thread_id,
                run.id,
                pacing=PollPacing(minimum=1.0, maximum=30.0, outage_budget=60.0),
                sleep=clock.sleep,
                clock=clock.clock,
            )


def test_a_missing_run_is_an_error_not_a_wait(emu, emu_hook):
    from airflow_openai.client import NotFoundError

    thread = emu_hook.create_thread()
    with pytest.raises(NotFoundError):
        emu_hook.wait_for_run(thread.id, "run_missing", sleep=threading.Event().wait)
