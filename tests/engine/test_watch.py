"""The engine's watch as plain logic: pacing, outage, deadline and what fires, for every job kind."""

from __future__ import annotations

import pytest

from airflow_openai.batch.assessment import BatchAssessment
from airflow_openai.engine.blocking import new_watch
from airflow_openai.engine.registry import kind
from airflow_openai.engine.watch import Fire, Sleep, Watch
from airflow_openai.fine_tuning.assessment import JobAssessment
from airflow_openai.pacing import PollPacing
from airflow_openai.runs.assessment import RunAssessment
from airflow_openai.vector_stores.assessment import FileBatchAssessment


def _batch(status: str, done: int, total: int = 10_000) -> BatchAssessment:
    outcome = "succeeded" if status == "completed" else "failed" if status == "failed" else "running"
    return BatchAssessment(status, outcome, f"batch {status}", "b", done, 0, total)


def _simulate(duration: float, with_progress: bool, total: int = 10_000) -> tuple[int, float]:
    """Polls spent on a batch progressing linearly for `duration` seconds, and how late its end was seen."""
    watch = Watch(["b"], PollPacing(), started_at=0.0, now=0.0)
    now, polls = 0.0, 0
    while True:
        polls += 1
        finished = now >= duration
        done = total if finished else int(total * now / duration) if with_progress else 0
        watch.seen("b", _batch("completed" if finished else "in_progress", done, total), now)
        decided = watch.verdict(now)
        if isinstance(decided, Fire):
            assert decided.status == "success"
            return polls, now - duration
        now += decided.seconds


@pytest.mark.parametrize("with_progress", [True, False])
def test_a_day_long_batch_costs_under_100_polls(with_progress):
    polls, late = _simulate(24 * 3600, with_progress)
    assert polls < 100, f"{polls} polls (a fixed 60 s interval costs 1,440)"
    assert late < 0.1 * 24 * 3600


@pytest.mark.parametrize("with_progress", [True, False])
def test_a_two_minute_batch_is_seen_finishing_within_about_ten_percent(with_progress):
    _, late = _simulate(120, with_progress)
    assert late <= 12.5


def test_the_deadline_caps_the_sleep_then_fires_timeout():
    watch = Watch(["b"], PollPacing(), started_at=0.0, now=0.0, deadline=10_003.0, what="batch b")
    watch.seen("b", _batch("in_progress", 0), 10_000.0)
    assert watch.verdict(10_000.0) == Sleep(3.0)
    assert watch.verdict(10_003.0) == Fire("timeout", "batch b did not finish before the timeout")


def test_a_status_change_is_worth_a_line_once_and_single_jobs_pace_by_age():
    watch = Watch(["ftjob-1"], PollPacing(minimum=5, maximum=300), started_at=0, now=0)
    assert watch.seen("ftjob-1", JobAssessment("queued", "running", "", "ftjob-1"), 1) is True
    assert watch.seen("ftjob-1", JobAssessment("queued", "running", "", "ftjob-1"), 2) is False
    assert watch.seen("ftjob-1", JobAssessment("running", "running", "", "ftjob-1"), 3) is True
    assert watch.next_delay(1000) == 100 and watch.next_delay(10_000) == 300


def test_runs_are_polled_a_second_apart_at_first_and_at_most_half_a_minute_apart():
    watch = new_watch(
        kind("run"), {"ids": ["run_1"], "thread_id": "t"}, None, started_at=1000.0, now=1000.0, deadline=None
    )
    assert watch.next_delay(1002.0) == 1.0
    assert watch.next_delay(1100.0) == pytest.approx(10.0)
    assert watch.next_delay(1000.0 + 3600) == 30.0


def test_a_run_waiting_on_tool_outputs_fires_action():
    watch = Watch(["run_1"], PollPacing(minimum=1), started_at=0.0, now=0.0)
    calls = ({"id": "call_1", "name": "f", "arguments": "{}"},)
    watch.seen("run_1", RunAssessment("requires_action", "action", "waits on f", "run_1", "t", calls), 1.0)
    assert watch.verdict(1.0) == Fire("action", "waits on f")


def _file_batch(batch_id, status, processed, total=1000, outcome=None):
    outcome = outcome or ("succeeded" if status == "completed" else "running")
    return FileBatchAssessment(
        status, outcome, f"{batch_id} {status}", batch_id, "vs_1", processed, 0, 0, total - processed, total
    )


def test_several_jobs_fire_on_the_first_failure_or_when_all_finished():
    plugin, ref = kind("file_batch"), {"ids": ["a", "b"], "vector_store_id": "vs_1"}
    watch = new_watch(plugin, ref, PollPacing(), started_at=0.0, now=0.0, deadline=None)
    assert watch.pending() == ["a", "b"]
    watch.seen("a", _file_batch("a", "completed", 1000), 1.0)
    watch.seen("b", _file_batch("b", "in_progress", 10), 1.0)
    assert watch.pending() == ["b"] and isinstance(watch.verdict(1.0), Sleep)
    watch.seen("b", _file_batch("b", "completed", 1000), 2.0)
    assert watch.verdict(2.0) == Fire(
        "success", "2 file batches of vector store vs_1 finished: 2,000 of 2,000 files completed, 0 failed"
    )
    watch.seen("b", _file_batch("b", "cancelled", 10, outcome="failed"), 3.0)
    assert watch.verdict(3.0) == Fire("failed", "b cancelled")
    assert watch.statuses() == {"a": "completed", "b": "cancelled"}
    assert plugin.payload(ref, watch.latest)["counts"]["a"] == {
        "completed": 1000,
        "failed": 0,
        "cancelled": 0,
        "total": 1000,
    }


def test_the_rate_of_work_done_caps_the_wait_near_the_end():
    watch = Watch(["a"], PollPacing(), started_at=0.0, now=0.0)
    watch.seen("a", _file_batch("a", "in_progress", 0), 1000.0)
    assert watch.next_delay(1000.0) == 100.0  # a tenth of the age, no rate known yet
    watch.seen("a", _file_batch("a", "in_progress", 900), 1100.0)  # 9 files a second, 100 to go
    assert watch.next_delay(1100.0) == pytest.approx(100 / 9 + 5)


def test_an_outage_backs_off_is_counted_from_the_watch_start_and_fires_error_past_its_budget():
    plugin, ref = kind("file_batch"), {"ids": ["a"], "vector_store_id": "vs_1"}
    watch = new_watch(
        plugin, ref, PollPacing(minimum=1, outage_budget=60), started_at=0.0, now=7200.0, deadline=None
    )
    line = watch.poll_failed("file batch a of vector store vs_1", RuntimeError("down"), 7210.0)
    assert line == (
        "Polling file batch a of vector store vs_1 failed (down); the API has not answered for 10s, "
        "50s of the 60s outage budget left"
    )
    for _ in range(4):
        watch.poll_failed("a", RuntimeError("down"), 7220.0)
    assert isinstance(watch.verdict(7230.0), Sleep) and watch.next_delay(7230.0) > 1.0
    gave_up = watch.verdict(7260.0)
    assert isinstance(gave_up, Fire) and gave_up.status == "error"
    assert (
        "stopped waiting for file batch a of vector store vs_1" in gave_up.message
        and "down" in gave_up.message
    )


def test_every_kind_is_registered_and_an_unknown_one_is_named():
    for name in ("batch", "fine_tuning", "file_batch", "run"):
        assert kind(name).name == name
    with pytest.raises(ValueError, match="unknown job kind 'upload'"):
        kind("upload")
