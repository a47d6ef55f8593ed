"""Batches on the emulator run for real: validated, executed line by line, cancelled or expired with partial output."""

from __future__ import annotations

import io

from tests.support.batches import chat_line, jsonl, read_jsonl, wait_for


def _download(hook, file_id):
    sink = io.BytesIO()
    hook.download_file(file_id, sink)
    return read_jsonl(sink.getvalue())


def test_a_thousand_chat_lines_complete_with_matching_custom_ids(hook):
    source = hook.create_file(jsonl([chat_line(n) for n in range(1000)]), "batch", "requests.jsonl")
    batch = hook.create_batch(source.id, "/v1/chat/completions", metadata={"dag_id": "nightly"})
    assert batch.status == "validating" and batch.metadata == {"dag_id": "nightly"}

    seen_counts = []
    while not batch.is_terminal:
        batch = hook.get_batch(batch.id)
        seen_counts.append(batch.request_counts.completed if batch.request_counts else 0)

    assert batch.status == "completed"
    assert batch.request_counts.model_dump() == {"total": 1000, "completed": 1000, "failed": 0}
    assert all(getattr(batch, f"{stamp}_at") for stamp in ("in_progress", "finalizing", "completed"))
    assert any(0 < count < 1000 for count in seen_counts), "request_counts should rise while lines run"
    rows = _download(hook, batch.output_file_id)
    assert sorted(row["custom_id"] for row in rows) == sorted(f"request-{n}" for n in range(1000))
    first = next(row for row in rows if row["custom_id"] == "request-7")
    assert first["response"]["status_code"] == 200
    assert "Question number 7?" in first["response"]["body"]["choices"][0]["message"]["content"]
    assert first["response"]["body"]["usage"]["total_tokens"] > 0
    assert hook.get_file(batch.output_file_id).purpose == "batch_output"


def test_invalid_lines_fail_the_batch_naming_line_code_and_message(hook, emu):
    lines = [
        chat_line(1),
        "{not json",
        chat_line(3),
        chat_line(1),
        chat_line(5, url="/v1/embeddings"),
        {**chat_line(6), "method": "GET"},
    ]
    source = hook.create_file(jsonl(lines), "batch", "bad.jsonl")
    batch = wait_for(hook, hook.create_batch(source.id, "/v1/chat/completions").id)

    assert batch.status == "failed" and batch.failed_at
    found = [(error.line, error.code) for error in batch.errors.data]
    assert found == [
        (2, "invalid_json_line"),
        (4, "duplicate_custom_id"),
        (5, "mismatched_url"),
        (6, "invalid_method"),
    ]
    assert all(error.message for error in batch.errors.data)


def test_a_line_the_model_refuses_goes_to_the_error_file(hook):
    lines = [chat_line(1), {**chat_line(2), "body": {"messages": [{"role": "user", "content": "no model"}]}}]
    source = hook.create_file(jsonl(lines), "batch", "mixed.jsonl")
    batch = wait_for(hook, hook.create_batch(source.id, "/v1/chat/completions").id)

    assert batch.status == "completed"
    assert batch.request_counts.model_dump() == {"total": 2, "completed": 1, "failed": 1}
    (error,) = _download(hook, batch.error_file_id)
    assert error["custom_id"] == "request-2"
    assert error["response"]["status_code"] == 400 and error["response"]["body"]["error"]["param"] == "model"


def test_cancel_keeps_partial_output_and_reports_unfinished_lines(hook, emu):
    emu.set_speed(1.0)
    source = hook.create_file(jsonl([chat_line(n) for n in range(200)]), "batch", "slow.jsonl")
    batch = hook.create_batch(source.id, "/v1/chat/completions")
    emu.advance(5 + 50 * 0.06)  # validated, and about 50 lines done
    assert hook.get_batch(batch.id).status == "in_progress"

    assert hook.cancel_batch(batch.id).status == "cancelling"
    emu.advance(5)
    batch = hook.get_batch(batch.id)

    assert batch.status == "cancelled" and batch.cancelling_at and batch.cancelled_at
    done = _download(hook, batch.output_file_id)
    unfinished = _download(hook, batch.error_file_id)
    assert 0 < len(done) < 200 and len(done) + len(unfinished) == 200
    assert {row["error"]["code"] for row in unfinished} == {"batch_cancelled"}


def test_past_the_completion_window_a_batch_expires_with_what_finished(hook, emu):
    emu.set_speed(1.0)
    emu.set_line_time(1200)  # 100 lines would need 33 hours: the 24-hour window ends first
    source = hook.create_file(jsonl([chat_line(n) for n in range(100)]), "batch", "late.jsonl")
    batch = hook.create_batch(source.id, "/v1/chat/completions")
    emu.advance(24 * 3600)

    batch = hook.get_batch(batch.id)

    assert batch.status == "expired" and batch.expired_at
    done, unfinished = _download(hook, batch.output_file_id), _download(hook, batch.error_file_id)
    assert len(done) + len(unfinished) == 100 and len(unfinished) > 0
    assert {row["error"]["code"] for row in unfinished} == {"batch_expired"}


def test_create_refuses_bad_requests_before_anything_runs(hook):
    import pytest

    from airflow_openai.client import BadRequestError

    source = hook.create_file(jsonl([chat_line(1)]), "fine-tune", "train.jsonl")
    with pytest.raises(BadRequestError) as caught:
        hook.create_batch(source.id, "/v1/chat/completions")
    assert caught.value.param == "input_file_id"
    with pytest.raises(BadRequestError) as caught:
        hook.create_batch(source.id, "/v1/images/generations")
    assert caught.value.param == "endpoint"
    with pytest.raises(BadRequestError) as caught:
        hook.create_batch(source.id, "/v1/chat/completions", completion_window="1h")
    assert caught.value.param == "completion_window"
    assert list(hook.list_batches()) == []


def test_batches_list_newest_first_with_cursor(hook):
    source = hook.create_file(jsonl([chat_line(1)]), "batch", "one.jsonl")
    created = [hook.create_batch(source.id, "/v1/chat/completions").id for _ in range(5)]
    assert [batch.id for batch in hook.list_batches(limit=2)] == list(reversed(created))


def test_forcing_a_state_through_the_control_plane(hook, emu):
    source = hook.create_file(jsonl([chat_line(n) for n in range(10)]), "batch", "force.jsonl")
    batch = hook.create_batch(source.id, "/v1/chat/completions")
    emu.force_batch(batch.id, "completed")
    batch = hook.get_batch(batch.id)
    assert batch.status == "completed" and len(_download(hook, batch.output_file_id)) == 10
