"""Uploads of any size from any source, checked first, in bounded memory; and the way back."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tracemalloc

import pytest

from airflow_openai.client import BadRequestError
from airflow_openai.transfers.checks import InvalidUpload
from airflow_openai.transfers.uploader import UploadSettings

MB = 1024 * 1024
SMALL_PARTS = UploadSettings(part_size=8 * MB, concurrency=3, threshold=8 * MB)


def _write_random(path, size: int) -> str:
    digest = hashlib.md5()
    with path.open("wb") as sink:
        left = size
        while left:
            block = os.urandom(min(16 * MB, left))
            digest.update(block)
            sink.write(block)
            left -= len(block)
    return digest.hexdigest()


def _uploads(emu):
    return emu.state.store.all("upload")


def test_300_megabytes_from_object_storage_through_the_uploads_api_in_bounded_memory(emu, emu_hook, tmp_path):
    size = 300 * MB + 12345
    source = tmp_path / "corpus.jsonl.bin"
    md5 = _write_random(source, size)

    tracemalloc.start()
    try:
        uploaded = emu_hook.upload_file(f"file://{source}", "assistants", settings=SMALL_PARTS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert uploaded.bytes == size and uploaded.filename == "corpus.jsonl.bin"
    (upload,) = _uploads(emu)
    assert (
        upload["status"] == "completed" and upload["file"]["id"] == uploaded.id
    )  # md5 checked by the server
    # The emulator shares this process and buffers request bodies too; the client's own share is
    # bounded by concurrency x part size (24 MB here). Either way, far from the file's 300 MB.
    assert peak < 120 * MB, f"peak {peak / MB:.0f} MB for a {size / MB:.0f} MB file"
    sink = hashlib.md5()
    with emu.state.store.content(uploaded.id).open("rb") as stored:
        while block := stored.read(16 * MB):
            sink.update(block)
    assert sink.hexdigest() == md5


def test_a_part_that_fails_twice_is_retried_alone(emu, emu_hook, tmp_path):
    source = tmp_path / "data.bin"
    _write_random(source, 20 * MB)
    emu.fault("/v1/uploads/*/parts", method="POST", status=500, count=2)

    uploaded = emu_hook.upload_file(source, "vision", settings=SMALL_PARTS)

    assert uploaded.bytes == 20 * MB
    assert len(emu.state.store.all("upload_part")) == 3  # 8 + 8 + 4 MB: failed attempts left no parts behind
    assert emu.state.store.all("upload")[0]["status"] == "completed"


def test_an_upload_that_cannot_finish_is_cancelled(emu, emu_hook, tmp_path):
    source = tmp_path / "data.bin"
    _write_random(source, 20 * MB)
    emu.fault("/v1/uploads/*/parts", method="POST", status=400, count=100)

    with pytest.raises(BadRequestError):
        emu_hook.upload_file(source, "vision", settings=SMALL_PARTS)

    assert [u["status"] for u in _uploads(emu)] == ["cancelled"]


def test_small_files_go_in_one_request(emu, emu_hook, tmp_path):
    source = tmp_path / "requests.jsonl"
    source.write_text(json.dumps({"custom_id": "a"}) + "\n")
    uploaded = emu_hook.upload_file(source, "batch")
    assert uploaded.purpose == "batch" and _uploads(emu) == []


def test_a_stream_of_unknown_size_is_spooled_not_read_whole(emu, emu_hook):
    class Unseekable(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            chunk = self._data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    data = os.urandom(12 * MB)
    uploaded = emu_hook.upload_file(
        io.BufferedReader(Unseekable(data)), "vision", filename="stream.bin", settings=SMALL_PARTS
    )
    assert uploaded.bytes == len(data)
    sink = io.BytesIO()
    emu_hook.download_file(uploaded.id, sink)
    assert sink.getvalue() == data


@pytest.mark.parametrize(
    ("name", "content", "purpose", "reason"),
    [
        ("empty.jsonl", b"", "batch", "empty"),
        ("requests.csv", b"a,b\n", "batch", "must be .jsonl"),
        ("broken.jsonl", b'{"a": 1}\n{oops\n', "fine-tune", "line 2 is not valid JSON"),
        ("list.jsonl", b"[1, 2]\n", "batch", "line 1 is not a JSON object"),
        ("latin1.jsonl", b'{"a": "caf\xe9"}\n', "batch", "line 1 is not UTF-8 text"),
        ("ok.jsonl", b"{}\n", "batch_output", "purpose must be one of"),
    ],
)
def test_bad_files_are_refused_before_any_request(emu, emu_hook, tmp_path, name, content, purpose, reason):
    source = tmp_path / name
    source.write_bytes(content)
    with pytest.raises(InvalidUpload, match=reason):
        emu_hook.upload_file(source, purpose)
    assert list(emu_hook.list_files()) == [] and _uploads(emu) == []


def test_download_streams_back_bit_for_bit_to_object_storage(emu, emu_hook, tmp_path):
    source = tmp_path / "blob.bin"
    md5 = _write_random(source, 9 * MB + 7)
    uploaded = emu_hook.upload_file(source, "assistants", settings=SMALL_PARTS)

    target = tmp_path / "back" / "blob.bin"
    written = emu_hook.download_file(uploaded.id, f"file://{target}")

    assert written == 9 * MB + 7
    assert hashlib.md5(target.read_bytes()).hexdigest() == md5


@pytest.mark.parametrize("size", [3 * MB, 20 * MB], ids=["one request", "in parts"])
def test_a_file_object_is_uploaded_from_where_it_stands(emu, emu_hook, size):
    """A caller who has read a header off a stream uploads the rest of it, not the whole stream again."""
    data = os.urandom(size)
    stream = io.BytesIO(b"HEADER\n" + data)
    stream.readline()

    uploaded = emu_hook.upload_file(stream, "vision", filename="rest.bin", settings=SMALL_PARTS)

    assert uploaded.bytes == size
    sink = io.BytesIO()
    emu_hook.download_file(uploaded.id, sink)
    assert sink.getvalue() == data


def test_the_md5_can_be_left_out(emu, emu_hook, tmp_path):
    source = tmp_path / "data.bin"
    md5 = _write_random(source, 20 * MB)
    settings = UploadSettings(part_size=8 * MB, concurrency=3, threshold=8 * MB, md5=False)

    uploaded = emu_hook.upload_file(source, "vision", settings=settings)

    target = tmp_path / "back.bin"
    emu_hook.download_file(uploaded.id, target)
    assert hashlib.md5(target.read_bytes()).hexdigest() == md5
