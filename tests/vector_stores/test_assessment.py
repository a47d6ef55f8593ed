"""One decision for a vector-store file batch: its `assess`, the watch over several batches, and
the hook's blocking wait that drives both (against the emulator)."""

from __future__ import annotations

import io

import pytest

from airflow_openai.models.vector_stores import VectorStoreFileBatchObject
from airflow_openai.pacing import PollPacing
from airflow_openai.vector_stores.assessment import FileBatchAssessment, assess

BASE = {
    "id": "vsfb_1",
    "object": "vector_store.files_batch",
    "created_at": 1,
    "vector_store_id": "vs_1",
}


def _batch(status, completed=0, failed=0, cancelled=0, in_progress=0):
    counts = {
        "completed": completed,
        "failed": failed,
        "cancelled": cancelled,
        "in_progress": in_progress,
        "total": completed + failed + cancelled + in_progress,
    }
    return VectorStoreFileBatchObject.model_validate({**BASE, "status": status, "file_counts": counts})


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("in_progress", "running"),
        ("cancelling", "running"),
        ("completed", "succeeded"),
        ("failed", "failed"),
        ("cancelled", "failed"),
    ],
)
def test_every_status_has_one_meaning(status, outcome):
    assessment = assess(_batch(status, completed=1))
    assert assessment.outcome == outcome
    assert assessment.finished is (outcome != "running")
    assert (assessment.batch_id, assessment.vector_store_id, assessment.status) == ("vsfb_1", "vs_1", status)


def test_progress_says_how_many_files_were_processed_and_how_many_failed():
    assessment = assess(_batch("in_progress", completed=409, failed=3, in_progress=88))
    assert assessment.message == (
        "Vector store file batch vsfb_1 is in_progress: 412/500 files processed (82.4%), 3 failed"
    )
    assert (assessment.completed, assessment.failed, assessment.in_progress, assessment.total) == (
        409,
        3,
        88,
        500,
    )


def test_a_completed_batch_with_failed_files_succeeds_and_counts_them():
    assessment = assess(_batch("completed", completed=497, failed=3))
    assert assessment.outcome == "succeeded"
    assert (
        assessment.message == "Vector store file batch vsfb_1 completed: 497 of 500 files completed, 3 failed"
    )
    assert assessment.counts() == {"completed": 497, "failed": 3, "cancelled": 0, "total": 500}


def test_a_failed_batch_says_so_with_its_counts():
    assessment = assess(_batch("failed", failed=4))
    assert assessment.message == (
        "Vector store file batch vsfb_1 failed: its files could not be indexed; "
        "0 of 4 files completed, 4 failed"
    )


def test_a_cancelled_batch_was_cancelled_outside_this_task():
    assessment = assess(_batch("cancelled", completed=2, cancelled=8))
    assert assessment.outcome == "failed"
    assert assessment.message == (
        "Vector store file batch vsfb_1 cancelled: it was cancelled outside this task; "
        "2 of 10 files completed, 0 failed, 8 cancelled"
    )


def test_cancelling_is_still_running_and_counts_the_cancelled_files():
    assessment = assess(_batch("cancelling", completed=2, cancelled=3, in_progress=5))
    assert assessment.message == (
        "Vector store file batch vsfb_1 is cancelling: 5/10 files processed (50.0%), 0 failed, 3 cancelled"
    )


def test_a_status_added_later_is_waited_through_and_the_message_says_so():
    assessment = assess(_batch("paused", completed=1, in_progress=1))
    assert assessment.outcome == "running" and not assessment.finished
    assert assessment.message == (
        "Vector store file batch vsfb_1 has status 'paused', unknown to this provider; "
        "treating it as still running: 1/2 files processed (50.0%), 0 failed"
    )


def test_an_empty_batch_reports_no_progress_without_dividing_by_zero():
    assert "0/0 files processed (0.0%)" in assess(_batch("in_progress")).message


# The hook's blocking wait, on the emulator


def _files(hook, count, prefix="f"):
    return [
        hook.create_file(io.BytesIO(b"# notes\n" * 20), "assistants", f"{prefix}{n}.md").id
        for n in range(count)
    ]


def test_the_hook_waits_for_every_batch_and_returns_their_assessments(emu, emu_hook):
    emu.set_speed(600)
    store = emu_hook.create_vector_store(name="s")
    first = emu_hook.create_vector_store_file_batch(store.id, _files(emu_hook, 3, "a")).id
    second = emu_hook.create_vector_store_file_batch(store.id, _files(emu_hook, 2, "b")).id
    heard = []

    final = emu_hook.wait_for_vector_store_file_batches(
        store.id, [first, second], pacing=PollPacing(minimum=0.05), on_progress=heard.append
    )

    assert {b: a.status for b, a in final.items()} == {first: "completed", second: "completed"}
    assert (final[first].completed, final[second].completed) == (3, 2)
    assert heard and all(isinstance(a, FileBatchAssessment) for a in heard)


def test_the_hook_returns_as_soon_as_one_batch_failed(emu, emu_hook):
    emu.set_speed(0)  # the clock moves only when advanced
    store = emu_hook.create_vector_store(name="s")
    bad = _files(emu_hook, 1, "bad")
    emu.fail_vector_store_file(bad[0], code="invalid_file", message="The file is not valid.")
    failed = emu_hook.create_vector_store_file_batch(store.id, bad).id  # fails after 1 s
    big = emu_hook.create_file(io.BytesIO(b"x" * 500 * 1024), "assistants", "big.md").id
    slow = emu_hook.create_vector_store_file_batch(store.id, [big]).id  # takes 11 s
    emu.advance(2)

    final = emu_hook.wait_for_vector_store_file_batches(
        store.id, [slow, failed], pacing=PollPacing(minimum=0.05)
    )

    assert final[failed].outcome == "failed" and final[failed].failed == 1
    assert final[slow].status == "in_progress"


def test_the_hook_gives_up_at_the_deadline(emu, emu_hook):
    import time

    from airflow_openai.hooks.waits import FileBatchTimeout

    emu.set_speed(0)  # the batch stays in progress
    store = emu_hook.create_vector_store(name="s")
    batch_id = emu_hook.create_vector_store_file_batch(store.id, _files(emu_hook, 1)).id

    with pytest.raises(FileBatchTimeout, match=f"file batch {batch_id} of vector store {store.id}"):
        emu_hook.wait_for_vector_store_file_batches(
            store.id, [batch_id], deadline=time.time() + 0.3, pacing=PollPacing(minimum=0.05)
        )


def test_the_hook_waits_out_an_outage_and_gives_up_past_its_budget(emu, emu_hook):
    from airflow_openai.client.policy import RetryPolicy
    from airflow_openai.hooks.openai import OpenAIHook
    from airflow_openai.outage import OutageExceeded

    emu.set_speed(600)
    store = emu_hook.create_vector_store(name="s")
    batch_id = emu_hook.create_vector_store_file_batch(store.id, _files(emu_hook, 1)).id
    pacing = PollPacing(minimum=0.05, maximum=0.2, outage_budget=30)
    polls = f"/v1/vector_stores/{store.id}/file_batches/*"
    # no transport retries: every failed request is a failed poll, for the wait to count
    with OpenAIHook(settings=emu_hook.settings, retry_policy=RetryPolicy(0, 0.001, 0.002)) as fast:
        emu.fault(polls, method="GET", status=503, count=3)
        final = fast.wait_for_vector_store_file_batches(store.id, [batch_id], pacing=pacing)
        assert final[batch_id].status == "completed"
        assert emu.requests(polls, method="GET") >= 4

        emu.fault(polls, method="GET", status=503, count=1000)
        with pytest.raises(OutageExceeded, match=f"file batch {batch_id} .*could not be reached"):
            fast.wait_for_vector_store_file_batches(
                store.id, [batch_id], pacing=PollPacing(minimum=0.05, maximum=0.2, outage_budget=0.5)
            )
