"""Every request gets exactly one row: results are checked against what each batch was given
and against its `request_counts`, whatever the result files hold.

The batches are real emulator batches. Where a result file has to be wrong in a way no
honest service produces (a repeated or foreign line, lines missing although
`request_counts` vouch for them), the emulator's stored file is rewritten, as a
misbehaving server would serve it.
"""

from __future__ import annotations

import io
import json
import logging

import pytest

from airflow_openai.batch.chunks import prepare
from airflow_openai.batch.identity import TaskIdentity
from airflow_openai.batch.pipeline import BatchJob
from airflow_openai.batch.requests import checked, from_prompts, from_requests
from tests.support.batches import wait_for

CHAT = "/v1/chat/completions"


@pytest.fixture
def job(emu_hook):
    return BatchJob(emu_hook, CHAT, "24h", TaskIdentity("dag", "task", "run_1", -1))


def _prepared(tmp_path, count):
    lines = checked(from_prompts([f"question {n}" for n in range(count)], model="gpt-4o-mini"), CHAT)
    return prepare(lines, tmp_path / "input", CHAT)


def _completed_batch(emu, hook, request_lines: list[bytes]):
    """A real batch run over exactly these input lines."""
    source = hook.create_file(io.BytesIO(b"".join(request_lines)), purpose="batch", filename="part.jsonl")
    batch = hook.create_batch(source.id, CHAT, "24h")
    emu.force_batch(batch.id, "completed")
    return wait_for(hook, batch.id)


def _write(job, rounds, prepared, tmp_path):
    sink = io.BytesIO()
    tally = job.write(rounds, prepared, tmp_path / "work", sink)
    return tally, [json.loads(line) for line in sink.getvalue().decode().splitlines()]


def _serve_instead(emu, file_id: str, lines: list[str]) -> None:
    """Make the emulator serve these lines as the file's content, with a matching size."""
    data = "".join(line + "\n" for line in lines).encode()
    emu.state.store.content_path(file_id).write_bytes(data)
    stored = emu.state.store.get("file", file_id)
    stored["bytes"] = len(data)
    emu.state.store.put("file", stored)


def test_requests_a_batch_never_answered_become_missing_result_rows(emu, emu_hook, job, tmp_path, caplog):
    prepared = _prepared(tmp_path, 50)
    (chunk,) = prepared.chunks
    batch = _completed_batch(emu, emu_hook, chunk.path.read_bytes().splitlines(keepends=True)[:20])

    with caplog.at_level(logging.WARNING, logger="airflow_openai.batch.pipeline"):
        tally, rows = _write(job, [[batch.id]], prepared, tmp_path)

    assert [row["custom_id"] for row in rows] == [f"prompt-{n}" for n in range(50)]
    missing = [row for row in rows if row["status"] == "failed"]
    assert len(missing) == 30 and {row["custom_id"] for row in missing} == {
        f"prompt-{n}" for n in range(20, 50)
    }
    assert all(row["error"]["code"] == "missing_result" for row in missing)
    assert (
        batch.id in missing[0]["error"]["message"]
        and "20 completed, 0 failed of 20" in missing[0]["error"]["message"]
    )
    assert missing[0]["input"] == "question 20" and missing[0]["batch_id"] == batch.id
    assert tally.to_dict() | {"usage": None} == {
        "succeeded": 20,
        "failed": 30,
        "total": 50,
        "usage": None,
        "failures_by_reason": {"missing_result": 30},
    }
    assert f"Batch {batch.id}: 30 of its 50 requests have no result" in caplog.text


def test_a_result_file_shorter_than_request_counts_is_downloaded_again_then_reported(
    emu, emu_hook, job, tmp_path, caplog
):
    prepared = _prepared(tmp_path, 12)
    (chunk,) = prepared.chunks
    batch = _completed_batch(emu, emu_hook, chunk.path.read_bytes().splitlines(keepends=True))
    kept = emu.state.store.content_path(batch.output_file_id).read_text().splitlines()[:7]
    _serve_instead(emu, batch.output_file_id, kept)  # request_counts still say 12 completed

    with caplog.at_level(logging.INFO, logger="airflow_openai.batch.pipeline"):
        tally, rows = _write(job, [[batch.id]], prepared, tmp_path)

    assert len(rows) == 12 and tally.total == 12 and tally.failures == {"missing_result": 5}
    assert emu.requests(f"/v1/files/{batch.output_file_id}/content", method="GET") == 2
    assert (
        f"Batch {batch.id}: its result files hold 7 lines but its request_counts promise 12 "
        "(12 completed, 0 failed of 12); downloading them again"
    ) in caplog.text
    assert f"Batch {batch.id}: still 7 result lines of the 12 promised after downloading again" in caplog.text


def test_repeated_and_foreign_result_lines_never_make_a_second_row(emu, emu_hook, job, tmp_path, caplog):
    prepared = _prepared(tmp_path, 5)
    (chunk,) = prepared.chunks
    batch = _completed_batch(emu, emu_hook, chunk.path.read_bytes().splitlines(keepends=True))
    lines = emu.state.store.content_path(batch.output_file_id).read_text().splitlines()
    foreign = json.loads(lines[0]) | {"custom_id": "someone-else"}
    _serve_instead(emu, batch.output_file_id, [*lines, lines[2], json.dumps(foreign)])

    with caplog.at_level(logging.WARNING, logger="airflow_openai.batch.pipeline"):
        tally, rows = _write(job, [[batch.id]], prepared, tmp_path)

    assert sorted(row["custom_id"] for row in rows) == [f"prompt-{n}" for n in range(5)]
    assert tally.succeeded == 5 and tally.total == 5
    assert f"Batch {batch.id}: left out 2 result lines" in caplog.text


def test_each_result_file_is_downloaded_once_for_the_retry_check_and_the_rows(emu, emu_hook, tmp_path):
    embeddings = "/v1/embeddings"
    bodies = [
        {"model": "text-embedding-3-small", "input": f"t{n}", "dimensions": 8 if n % 3 else 99999}
        for n in range(9)
    ]
    prepared = prepare(checked(from_requests(bodies, embeddings), embeddings), tmp_path / "input", embeddings)
    job = BatchJob(emu_hook, embeddings, "24h", TaskIdentity("dag", "task", "run_1", -1))
    (batch_id,) = job.submit(prepared, round=0).batch_ids.values()
    emu.force_batch(batch_id, "completed")
    batch = wait_for(emu_hook, batch_id)

    retry = job.retryable([batch_id], prepared, tmp_path / "work")
    tally, rows = _write(job, [[batch_id]], prepared, tmp_path)

    assert retry == set(), "a 400 is not worth a second try"
    assert len(rows) == 9 and tally.succeeded == 6 and tally.failed == 3
    assert batch.output_file_id and batch.error_file_id
    assert emu.requests("/v1/files/*/content", method="GET") == 2, "one download per result file"


def test_a_resubmission_that_answers_only_some_lines_keeps_the_first_answer_of_the_rest(
    emu, emu_hook, job, tmp_path, caplog
):
    prepared = _prepared(tmp_path, 10)
    (first_id,) = job.submit(prepared, round=0).batch_ids.values()
    emu.force_batch(first_id, "expired")  # nothing ran: every line is reported batch_expired
    resubmitted = job.retryable([first_id], prepared, tmp_path / "work")
    (chunk,) = prepared.chunks
    retry = _completed_batch(emu, emu_hook, chunk.path.read_bytes().splitlines(keepends=True)[:6])

    with caplog.at_level(logging.WARNING, logger="airflow_openai.batch.pipeline"):
        tally, rows = _write(job, [[first_id], [retry.id]], prepared, tmp_path)

    assert resubmitted == {f"prompt-{n}" for n in range(10)}
    assert sorted(row["custom_id"] for row in rows) == sorted(f"prompt-{n}" for n in range(10))
    by_id = {row["custom_id"]: row for row in rows}
    assert {by_id[f"prompt-{n}"]["batch_id"] for n in range(6)} == {retry.id}
    assert {by_id[f"prompt-{n}"]["error"]["code"] for n in range(6, 10)} == {"batch_expired"}
    assert tally.total == 10 and tally.succeeded == 6 and tally.failures == {"batch_expired": 4}
    assert "4 resubmitted requests have no result in the resubmission" in caplog.text
