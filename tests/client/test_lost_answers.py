"""A create whose answer is lost after the server acted is reconciled, not paid for twice.

Each case runs against the emulator over loopback with a fault that lets the service act and
then loses its answer: the connection drops, the answer comes too late for the client's
timeout, or a 5xx replaces it. Every test counts the remote objects afterwards.
"""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from airflow_openai.client import AnswerLostError, APIConnectionError
from airflow_openai.client.endpoints import batches
from airflow_openai.transfers.uploader import UploadSettings
from tests.support.batches import chat_line, jsonl
from tests.support.clients import hook_for

LOSSES = {
    "dropped": {"drop": True, "status": None},
    "timed out": {"latency_ms": 2500, "status": None},
    "5xx": {"status": 502},
}
"""How the answer is lost once the service has acted."""


@pytest.fixture
def hook(emu):
    """Short timeout, so that an answer held back 2.5 s counts as timed out."""
    with hook_for(emu.base_url, api_key=emu.api_key, admin_api_key=emu.admin_key, timeout=1.0) as hook:
        yield hook


def _files(hook, purpose="batch"):
    return list(hook.list_files(purpose=purpose))


@pytest.mark.parametrize("loss", LOSSES)
def test_create_file_after_a_lost_answer_makes_one_file(emu, hook, loss):
    emu.fault("/v1/files", method="POST", after=True, **LOSSES[loss])

    made = hook.create_file(jsonl([chat_line(1), chat_line(2)]), "batch", "input.jsonl")

    files = _files(hook)
    assert [f.id for f in files] == [made.id], f"one file after a {loss} answer, not {len(files)}"
    assert made.filename == "input.jsonl" and made.bytes == files[0].bytes


@pytest.mark.parametrize("loss", LOSSES)
def test_create_batch_after_a_lost_answer_makes_one_batch(emu, hook, loss):
    source = hook.create_file(jsonl([chat_line(1)]), "batch", "in.jsonl")
    emu.fault("/v1/batches", method="POST", after=True, **LOSSES[loss])

    batch = hook.create_batch(source.id, "/v1/chat/completions", metadata={"run": "nightly"})

    batches = list(hook.list_batches())
    assert [b.id for b in batches] == [batch.id], f"one batch after a {loss} answer, not {len(batches)}"
    assert batch.metadata == {"run": "nightly"}


def test_a_second_batch_on_the_same_file_is_still_created_when_asked_for(emu, hook):
    """Reconciliation looks only for what the lost call made: a deliberate second create is not swallowed."""
    source = hook.create_file(jsonl([chat_line(1)]), "batch", "in.jsonl")
    first = hook.create_batch(source.id, "/v1/chat/completions", metadata={"try": "1"})
    emu.fault("/v1/batches", method="POST", after=True, drop=True, status=None)

    second = hook.create_batch(source.id, "/v1/chat/completions", metadata={"try": "2"})

    assert second.id != first.id and len(list(hook.list_batches())) == 2


def test_a_refusal_before_the_server_acted_is_a_plain_retry(emu, hook):
    """A 429 means nothing was made: the create is simply sent again, without a lookup."""
    emu.fault("/v1/batches", method="POST", status=429, retry_after=0.05)
    source = hook.create_file(jsonl([chat_line(1)]), "batch", "in.jsonl")

    batch = hook.create_batch(source.id, "/v1/chat/completions")

    assert emu.requests("/v1/batches", method="GET") == 0, "a refusal needs no look-up"
    assert [b.id for b in hook.list_batches()] == [batch.id]


@pytest.mark.parametrize("loss", LOSSES)
def test_completing_an_upload_after_a_lost_answer_returns_its_file(emu, hook, tmp_path, loss):
    source = tmp_path / "big.jsonl"
    line = json.dumps(chat_line(1)).encode() + b"\n"
    source.write_bytes(line * (6 * 1024 * 1024 // len(line) + 1))
    emu.fault("/v1/uploads/*/complete", method="POST", after=True, **LOSSES[loss])

    settings = UploadSettings(part_size=5 * 1024 * 1024, threshold=1024 * 1024, md5=False)
    made = hook.upload_file(source, "batch", settings=settings)

    files = _files(hook)
    assert [f.id for f in files] == [made.id] and made.bytes == source.stat().st_size
    copy = io.BytesIO()
    hook.download_file(made.id, copy)
    assert copy.getvalue() == source.read_bytes()


def test_lost_answers_to_upload_parts_are_sent_again_and_the_file_is_whole(emu, tmp_path):
    """A part whose answer was lost is sent again; the orphan part is never named, so never joined."""
    hook = hook_for(emu.base_url, api_key=emu.api_key)  # the usual timeout: 5 MB parts on a busy machine
    source = tmp_path / "big.bin"
    source.write_bytes(bytes(range(256)) * (11 * 1024 * 1024 // 256))
    emu.fault("/v1/uploads/*/parts", method="POST", after=True, drop=True, status=None, count=2)
    emu.fault("/v1/uploads", method="POST", after=True, drop=True, status=None)

    settings = UploadSettings(part_size=5 * 1024 * 1024, threshold=1024 * 1024, concurrency=1)
    made = hook.upload_file(source, "assistants", settings=settings)

    copy = io.BytesIO()
    hook.download_file(made.id, copy)
    assert copy.getvalue() == source.read_bytes()
    assert [f.id for f in _files(hook, "assistants")] == [made.id]


def test_a_create_that_cannot_be_looked_up_is_not_sent_twice(emu, hook):
    """A service account's key is shown once: after a lost answer it is reported, never repeated."""
    from airflow_openai.client.endpoints import organization

    call = organization.create_project_service_account("proj_x", "etl")
    assert call.reconcile is None and not call.idempotent
    emu.fault("/v1/files", method="POST", after=True, drop=True, status=None)
    unlookable = type(call)("POST", "/files", call.parse, form={"purpose": "batch"})
    with pytest.raises(AnswerLostError, match="not sent again"):
        hook.transport.request(unlookable)


def test_a_connection_that_was_never_made_is_retried_without_a_lookup():
    """Nothing can have been created when no connection was made: a plain retry, then a clear error."""
    hook = hook_for("http://127.0.0.1:9/v1", max_retries=1)
    with pytest.raises(APIConnectionError) as raised:
        hook.create_batch("file-1", "/v1/chat/completions")
    assert raised.value.sent is False and "could not reach the API" in str(raised.value)


def _patient(emu, **overrides):
    """A hook that looks for a lost create over a few seconds, as the default policy does."""
    from airflow_openai.client.policy import RetryPolicy

    policy = RetryPolicy(2, initial_delay=0.01, max_delay=0.05, settle=(1.0, 2.0, 4.0))
    return hook_for(emu.base_url, api_key=emu.api_key, policy=policy, **overrides)


def test_a_create_the_server_makes_after_the_client_gave_up_is_still_found(emu):
    """The service is still at work when the client times out: the batch appears 2.5 s after it was
    sent, and the look-ups that go on for a few seconds find it before anything is sent again."""
    hook = _patient(emu, timeout=1.0)
    source = hook.create_file(jsonl([chat_line(1)]), "batch", "in.jsonl")
    emu.fault("/v1/batches", method="POST", act_after_ms=2500, status=None)

    batch = hook.create_batch(source.id, "/v1/chat/completions")

    assert [b.id for b in hook.list_batches()] == [batch.id]
    assert emu.requests("/v1/batches", method="POST") == 1


def test_an_upload_completed_after_the_client_gave_up_returns_its_file(emu, tmp_path):
    """The case of "Upload ... is completed, not pending": the completion lands late, and is found."""
    hook = _patient(emu, timeout=1.0)
    source = tmp_path / "big.jsonl"
    line = json.dumps(chat_line(1)).encode() + b"\n"
    source.write_bytes(line * (6 * 1024 * 1024 // len(line) + 1))
    emu.fault("/v1/uploads/*/complete", method="POST", act_after_ms=2500, status=None)

    settings = UploadSettings(part_size=5 * 1024 * 1024, threshold=1024 * 1024, md5=False)
    made = hook.upload_file(source, "batch", settings=settings)

    assert [f.id for f in _files(hook)] == [made.id] and made.bytes == source.stat().st_size


def test_an_answer_lost_on_the_last_attempt_is_still_looked_up(emu):
    hook = hook_for(emu.base_url, api_key=emu.api_key, max_retries=0)
    source = hook.create_file(jsonl([chat_line(1)]), "batch", "in.jsonl")
    emu.fault("/v1/batches", method="POST", after=True, drop=True, status=None)

    batch = hook.create_batch(source.id, "/v1/chat/completions")

    assert [b.id for b in hook.list_batches()] == [batch.id]


def test_the_async_transport_reconciles_the_same_way(emu, hook):
    source = hook.create_file(jsonl([chat_line(1)]), "batch", "in.jsonl")
    emu.fault("/v1/batches", method="POST", after=True, drop=True, status=None)

    async def create():
        try:
            return await hook.arun_call(batches.create_batch(source.id, "/v1/chat/completions"))
        finally:
            await hook.aclose()

    batch = asyncio.run(create())

    assert [b.id for b in hook.list_batches()] == [batch.id]
    assert emu.requests("/v1/batches", method="POST") == 1
