"""Poll pacing: a day-long batch costs under 100 polls; a short one is seen finishing promptly."""

from __future__ import annotations

import pytest

from airflow_openai.batch.assessment import BatchAssessment, assess
from airflow_openai.batch.pacing import BatchWatch, PollPacing
from airflow_openai.models import Batch


def _simulate(duration: float, with_progress: bool, total: int = 10_000) -> tuple[int, float]:
    """Polls spent on a batch progressing linearly for `duration` seconds, and how late its end was seen."""
    watch = BatchWatch(["b"], PollPacing(), started_at=0.0)
    now, polls = 0.0, 0
    while True:
        polls += 1
        finished = now >= duration
        done = total if finished else int(total * now / duration) if with_progress else 0
        status = "completed" if finished else "in_progress"
        watch.record(
            BatchAssessment("b", status, "succeeded" if finished else "running", "", done, 0, total), now
        )
        if finished:
            return polls, now - duration
        now += watch.next_delay(now)


@pytest.mark.parametrize("with_progress", [True, False])
def test_a_day_long_batch_costs_under_100_polls(with_progress):
    polls, late = _simulate(24 * 3600, with_progress)
    assert polls < 100, f"{polls} polls (a fixed 60 s interval costs 1,440)"
    assert late < 0.1 * 24 * 3600


@pytest.mark.parametrize("with_progress", [True, False])
def test_a_two_minute_batch_is_seen_finishing_within_about_ten_percent(with_progress):
    _, late = _simulate(120, with_progress)
    assert late <= 12.5


def test_the_deadline_caps_the_wait():
    watch = BatchWatch(["b"], PollPacing(), started_at=0.0)
    watch.record(BatchAssessment("b", "in_progress", "running", "", 0, 0, 10), 10_000.0)
    assert watch.next_delay(10_000.0, deadline=10_003.0) == 3.0


BASE = {
    "id": "batch_1",
    "object": "batch",
    "endpoint": "/v1/chat/completions",
    "input_file_id": "f",
    "completion_window": "24h",
    "created_at": 1,
}


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("validating", "running"),
        ("in_progress", "running"),
        ("finalizing", "running"),
        ("cancelling", "running"),
        ("completed", "succeeded"),
        ("expired", "succeeded"),
        ("failed", "failed"),
        ("cancelled", "failed"),
    ],
)
def test_every_status_has_one_meaning(status, outcome):
    assert assess(Batch.model_validate({**BASE, "status": status})).outcome == outcome


def test_a_failed_batch_says_which_lines_and_why():
    batch = Batch.model_validate(
        {
            **BASE,
            "status": "failed",
            "errors": {"data": [{"code": "invalid_json_line", "message": "bad", "line": 3}]},
        }
    )
    assert "line 3: invalid_json_line: bad" in assess(batch).message


def test_progress_is_reported_with_percent():
    batch = Batch.model_validate(
        {**BASE, "status": "in_progress", "request_counts": {"total": 200, "completed": 50, "failed": 2}}
    )
    assert assess(batch).message == "Batch batch_1 is in_progress: 52/200 requests (26.0%), 2 failed"
