"""Files and multi-part uploads on the emulator, checked byte for byte."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from airflow_openai.client import BadRequestError, NotFoundError
from tests.support.batches import chat_line, jsonl, wait_for


def test_ten_megabytes_in_three_parts_sent_out_of_order_complete_in_the_given_order(hook):
    data = os.urandom(10 * 1024 * 1024)
    chunks = [data[:4_000_000], data[4_000_000:8_000_000], data[8_000_000:]]
    upload = hook.create_upload("corpus.jsonl", "batch", len(data), "text/jsonl")
    assert upload.status == "pending" and upload.id.startswith("upload_")

    parts = {index: hook.create_upload_part(upload.id, io.BytesIO(chunks[index])) for index in (2, 0, 1)}
    done = hook.complete_upload(upload.id, [parts[i].id for i in range(3)], md5=hashlib.md5(data).hexdigest())

    assert done.status == "completed" and done.file is not None
    assert done.file.bytes == len(data) and done.file.filename == "corpus.jsonl"
    sink = io.BytesIO()
    hook.download_file(done.file.id, sink)
    assert sink.getvalue() == data


def test_completion_checks_bytes_and_md5(hook):
    upload = hook.create_upload("a.jsonl", "batch", 10, "text/jsonl")
    part = hook.create_upload_part(upload.id, io.BytesIO(b"0123456789"))
    with pytest.raises(BadRequestError, match="md5"):
        hook.complete_upload(upload.id, [part.id], md5="0" * 32)
    short = hook.create_upload("b.jsonl", "batch", 11, "text/jsonl")
    short_part = hook.create_upload_part(short.id, io.BytesIO(b"0123456789"))
    with pytest.raises(BadRequestError, match="10 bytes"):
        hook.complete_upload(short.id, [short_part.id])


def test_a_cancelled_upload_takes_no_more_parts(hook):
    upload = hook.create_upload("c.jsonl", "batch", 5, "text/jsonl")
    assert hook.cancel_upload(upload.id).status == "cancelled"
    with pytest.raises(BadRequestError, match="cancelled"):
        hook.create_upload_part(upload.id, io.BytesIO(b"12345"))


def test_an_upload_expires_after_an_hour(hook, emu):
    upload = hook.create_upload("d.jsonl", "batch", 5, "text/jsonl")
    assert upload.expires_at - upload.created_at == 3600
    emu.advance(3601)
    with pytest.raises(BadRequestError, match="expired"):
        hook.create_upload_part(upload.id, io.BytesIO(b"12345"))


def test_files_purpose_checks_listing_and_deletion(hook):
    with pytest.raises(BadRequestError) as caught:
        hook.create_file(io.BytesIO(b"{}"), "batch", "requests.csv")
    assert caught.value.param == "file"

    batch_file = hook.create_file(io.BytesIO(b'{"a": 1}\n'), "batch", "in.jsonl")
    doc = hook.create_file(io.BytesIO(b"%PDF-1.4"), "assistants", "manual.pdf")
    assert batch_file.id.startswith("file-") and batch_file.status == "processed"
    assert [f.id for f in hook.list_files(purpose="assistants")] == [doc.id]
    assert [f.id for f in hook.list_files()] == [doc.id, batch_file.id]

    assert hook.delete_file(doc.id).deleted is True
    with pytest.raises(NotFoundError) as missing:
        hook.get_file(doc.id)
    assert missing.value.request_id.startswith("req_")


def test_a_part_must_be_the_single_data_field(hook, emu):
    import httpx

    upload = hook.create_upload("e.jsonl", "batch", 5, "text/jsonl")
    url = f"{emu.base_url}/uploads/{upload.id}/parts"
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    wrong = httpx.post(url, files={"other": ("x", b"12345")}, headers=headers)
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "data"
    right = httpx.post(url, files={"data": ("x", b"12345")}, headers=headers)
    assert right.status_code == 200
    assert hook.complete_upload(upload.id, [right.json()["id"]]).file.bytes == 5


def test_a_file_made_of_parts_feeds_a_batch_and_leaves_nothing_behind_when_deleted(hook, emu):
    data = jsonl([chat_line(n) for n in range(300)]).getvalue()
    upload = hook.create_upload("requests.jsonl", "batch", len(data), "text/jsonl")
    cut = len(data) // 3  # parts split bytes, not lines
    parts = [hook.create_upload_part(upload.id, io.BytesIO(piece)) for piece in (data[:cut], data[cut:])]
    done = hook.complete_upload(upload.id, [part.id for part in parts], md5=hashlib.md5(data).hexdigest())

    batch = wait_for(hook, hook.create_batch(done.file.id, "/v1/chat/completions").id)

    assert batch.status == "completed" and batch.request_counts.completed == 300
    unread = hook.create_upload("unread.bin", "vision", 10, "application/octet-stream")
    unread_part = hook.create_upload_part(unread.id, io.BytesIO(b"0123456789"))
    unread_file = hook.complete_upload(unread.id, [unread_part.id]).file
    hook.delete_file(done.file.id)
    hook.delete_file(unread_file.id)
    left = {path.name for path in emu.state.store.content_dir.iterdir()}
    assert left == {batch.output_file_id}
