"""The one decision about a job, and the event cursor that shows each event once."""

from __future__ import annotations

from airflow_openai.fine_tuning.assessment import assess
from airflow_openai.fine_tuning.events import EventCursor, advanced, line, unseen
from airflow_openai.fine_tuning.reattach import find_reattachable
from airflow_openai.models import FineTuningJob, FineTuningJobEvent


def job(**fields) -> FineTuningJob:
    base = {
        "id": "ftjob-1",
        "created_at": 1_700_000_000,
        "model": "gpt-4o-mini-2024-07-18",
        "status": "running",
        "training_file": "file-t",
        "result_files": [],
    }
    return FineTuningJob.model_validate({**base, **fields})


def event(n: int, at: int | None = None) -> FineTuningJobEvent:
    return FineTuningJobEvent(
        id=f"ftevent-{n}", created_at=at or 1_700_000_000 + n, level="info", message=f"e{n}"
    )


def test_running_statuses_and_unknown_ones_keep_the_wait_going():
    for status in ("validating_files", "queued", "running", "paused_for_review"):
        assessment = assess(job(status=status))
        assert assessment.outcome == "running" and not assessment.finished
    assert "unknown to this provider" in assess(job(status="paused_for_review")).message


def test_a_failed_job_says_what_the_server_said():
    failed = job(
        status="failed",
        error={
            "code": "invalid_training_file",
            "message": "Line 3: no assistant message",
            "param": "training_file",
        },
    )
    assessment = assess(failed)
    assert assessment.outcome == "failed"
    assert "Line 3: no assistant message" in assessment.message
    assert "invalid_training_file" in assessment.message and "param training_file" in assessment.message


def test_a_cancelled_job_was_cancelled_outside_the_task():
    message = assess(job(status="cancelled", finished_at=1_700_000_100)).message
    assert "cancelled outside this task at 2023-11-14" in message


def test_success_names_the_model_and_tokens():
    assessment = assess(
        job(status="succeeded", fine_tuned_model="ft:gpt-4o-mini:org::abc", trained_tokens=12345)
    )
    assert assessment.outcome == "succeeded" and assessment.fine_tuned_model == "ft:gpt-4o-mini:org::abc"
    assert "12,345 tokens" in assessment.message


def test_unseen_events_come_oldest_first_and_stop_at_the_cursor():
    newest_first = [event(n) for n in (5, 4, 3, 2, 1)]
    first = unseen(iter(newest_first[2:]), EventCursor())  # events 3, 2, 1 so far
    assert [e.id for e in first] == ["ftevent-1", "ftevent-2", "ftevent-3"]
    cursor = advanced(EventCursor(), first)
    read = []

    def listing():
        for e in newest_first:
            read.append(e.id)
            yield e

    later = unseen(listing(), cursor)
    assert [e.id for e in later] == ["ftevent-4", "ftevent-5"]
    assert read == ["ftevent-5", "ftevent-4", "ftevent-3"]  # no older page is read
    assert unseen(iter(newest_first), advanced(cursor, later)) == []


def test_a_removed_cursor_event_still_stops_reading_at_older_ones():
    cursor = EventCursor(last_id="ftevent-gone", last_at=1_700_000_003)
    assert [e.id for e in unseen(iter([event(n) for n in (5, 4, 2, 1)]), cursor)] == [
        "ftevent-4",
        "ftevent-5",
    ]


def test_the_cursor_survives_a_round_trip_through_plain_values():
    cursor = EventCursor("ftevent-9", 1_700_000_009)
    assert EventCursor.from_dict(cursor.to_dict()) == cursor
    assert EventCursor.from_dict(None) == EventCursor() == EventCursor.from_dict("junk")


def test_an_event_line_shows_the_job_time_level_and_message():
    assert line("ftjob-1", event(1)) == "[ftjob-1 22:13:21 info] e1"


def test_a_retry_finds_its_job_on_the_same_files_and_model_only():
    request = {"model": "gpt-4o-mini", "training_file": "file-t", "hyperparameters": {"n_epochs": 3}}
    since = 1_700_000_000
    other_file = job(id="ftjob-a", training_file="file-other")
    failed = job(id="ftjob-b", status="failed")
    other_epochs = job(id="ftjob-c", hyperparameters={"n_epochs": 5})
    mine = job(id="ftjob-d", hyperparameters={"n_epochs": 3})
    assert find_reattachable([other_file, failed, other_epochs, mine], request, since).id == "ftjob-d"
    too_old = job(id="ftjob-e", created_at=since - 3600)
    assert find_reattachable([too_old], request, since) is None
    assert find_reattachable([job(model="gpt-4o-2024-08-06")], request, since) is None
