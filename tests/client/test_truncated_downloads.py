"""A download that ends early is never taken as whole, however the early end looks.

The emulator cuts the body of `GET /files/{id}/content` after 1,000 bytes in three ways:
the connection closes mid-body, the body ends cleanly (a final chunk, no `Content-Length`),
or a `Content-Length` claims the short body is all there is. The last two are well-formed
HTTP; only the file's own size tells them apart from a whole file.
"""

from __future__ import annotations

import asyncio
import io

import pytest

from airflow_openai.client import APIConnectionError, IncompleteDownloadError
from tests.support.clients import hook_for

FRAMINGS = ("chunked", "clean", "length")


def _cut_bodies(emu, framing, times):
    """The next `times` file downloads end after 1,000 bytes, in the given framing."""
    emu.fault(
        "/v1/files/*/content",
        method="GET",
        status=None,
        truncate_after=1000,
        truncate_framing=framing,
        count=times,
    )


@pytest.fixture
def hook(emu):
    with hook_for(emu.base_url, api_key=emu.api_key, admin_api_key=emu.admin_key) as hook:
        yield hook


@pytest.fixture
def stored(hook):
    """An 11 MB file on the emulator, and its bytes."""
    content = b"".join(b'{"n": %d, "pad": "%s"}\n' % (n, b"x" * 90) for n in range(110_000))
    made = hook.create_file(io.BytesIO(content), "assistants", "notes.jsonl")
    return made.id, content


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_body_cut_short_once_is_downloaded_again_whole(emu, hook, stored, tmp_path, framing):
    file_id, content = stored
    _cut_bodies(emu, framing, times=1)

    target = tmp_path / "copy.jsonl"
    size = hook.download_file(file_id, target)

    assert size == len(content) and target.read_bytes() == content


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_body_always_cut_short_fails_clearly_and_leaves_nothing(emu, hook, stored, tmp_path, framing):
    file_id, content = stored
    _cut_bodies(emu, framing, times=10)

    target = tmp_path / "copy.jsonl"
    with pytest.raises(IncompleteDownloadError if framing != "chunked" else APIConnectionError) as raised:
        hook.download_file(file_id, target)

    assert file_id in str(raised.value)
    if framing != "chunked":
        assert f"1,000 of the file's {len(content):,} bytes" in str(raised.value)
    assert not target.exists(), "a partial download must not stand where the whole file is expected"


def test_a_callers_stream_is_rewound_when_the_download_fails(emu, hook, stored):
    file_id, _ = stored
    _cut_bodies(emu, "length", times=10)
    stream = io.BytesIO(b"header\n")
    stream.seek(0, io.SEEK_END)
    with pytest.raises(IncompleteDownloadError):
        hook.download_file(file_id, stream)
    assert stream.getvalue() == b"header\n", "what the failed download wrote is taken back"


def test_the_async_download_is_checked_too(emu, hook, stored, tmp_path):
    file_id, content = stored
    _cut_bodies(emu, "clean", times=10)

    async def download():
        try:
            return await hook.adownload_file(file_id, tmp_path / "copy.jsonl")
        finally:
            await hook.aclose()

    with pytest.raises(IncompleteDownloadError):
        asyncio.run(download())
    assert not (tmp_path / "copy.jsonl").exists()


class WriteOnce(io.RawIOBase):
    """A destination that cannot seek, like an object storage writer or a pipe: what it is given stays."""

    def __init__(self) -> None:
        super().__init__()
        self.received = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, chunk) -> int:
        self.received += chunk
        return len(chunk)


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_destination_that_cannot_seek_receives_only_a_whole_file(emu, hook, stored, framing):
    file_id, content = stored
    _cut_bodies(emu, framing, times=1)
    whole = WriteOnce()
    assert hook.download_file(file_id, whole) == len(content) and bytes(whole.received) == content

    _cut_bodies(emu, framing, times=10)
    nothing = WriteOnce()
    with pytest.raises(APIConnectionError):  # IncompleteDownloadError is one too
        hook.download_file(file_id, nothing)
    assert nothing.received == b"", "not one byte of a short body reaches a destination that keeps it"
