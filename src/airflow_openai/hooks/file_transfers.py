"""The hook's file transfers: uploads from any source and downloads to any destination, streamed,
never read whole into memory; the async twins run them off the event loop."""

from __future__ import annotations

import functools
import mimetypes
import os
import threading
from pathlib import Path
from typing import Any

from airflow_openai.client.endpoints import files
from airflow_openai.hooks.destinations import PathOrFile, stream_to
from airflow_openai.hooks.off_loop import run_until_done
from airflow_openai.models import OpenAIFile
from airflow_openai.storage import open_binary
from airflow_openai.transfers.checks import JSONL_PURPOSES, check_jsonl, check_purpose, check_upload
from airflow_openai.transfers.part_buffers import PartBuffers
from airflow_openai.transfers.sources import open_source
from airflow_openai.transfers.uploader import UploadSettings, UploadStopped, upload_in_parts


class FileTransfersMixin:
    """`create_file`, `upload_file`, `download_file` and their async twins, for `OpenAIHook`."""

    def create_file(self: Any, file: PathOrFile, purpose: str, filename: str | None = None) -> OpenAIFile:
        """Upload a file (path or binary file object) in one request, streamed from disk.

        For files over a few hundred MB prefer the Uploads API (`create_upload` and parts).
        """
        check_purpose(purpose)
        with open_binary(file, "rb") as stream:
            return self.transport.request(files.create_file(stream, purpose, filename or _name_of(file)))

    def upload_file(
        self: Any,
        source: Any,
        purpose: str,
        *,
        filename: str | None = None,
        mime_type: str | None = None,
        settings: UploadSettings | None = None,
        stop: threading.Event | None = None,
        buffers: PartBuffers | None = None,
    ) -> OpenAIFile:
        """Upload from a local path, an object storage URI / `ObjectStoragePath`, or a binary file object.

        Checked before any request (purpose, size between 1 byte and 8 GB, `.jsonl` with a JSON
        object per line for `batch` and `fine-tune`). Files up to `settings.threshold` go in
        one request; larger ones through the Uploads API in parallel parts, with an md5,
        in memory bounded by `concurrency × part_size`, cancelled if they cannot finish.

        Setting `stop` (from another thread) ends a large upload after the parts in flight and
        cancels it on OpenAI, raising `UploadStopped`. Uploads that run side by side can share
        `buffers` (a `PartBuffers` of at least `part_size` bytes each) to hold that much memory
        between them rather than each their own.
        """
        settings = settings or UploadSettings()
        if stop is not None and stop.is_set():
            raise UploadStopped(f"the upload of {source} was stopped before it began")
        with open_source(source, filename) as opened:
            check_upload(purpose, opened.filename, opened.size)
            if purpose in JSONL_PURPOSES and opened.stream.seekable():
                check_jsonl(opened.stream, opened.filename)
            if opened.size <= settings.threshold:
                return self.transport.request(files.create_file(opened.stream, purpose, opened.filename))
            kind = mime_type or mimetypes.guess_type(opened.filename)[0] or "application/octet-stream"
            if opened.filename.lower().endswith(".jsonl") and mime_type is None:
                kind = "text/jsonl"
            return upload_in_parts(self, opened, purpose, kind, settings, stop, buffers)

    async def aupload_file(
        self: Any,
        source: Any,
        purpose: str,
        *,
        filename: str | None = None,
        mime_type: str | None = None,
        settings: UploadSettings | None = None,
    ) -> OpenAIFile:
        """`upload_file` for an event loop (a trigger, an asyncio fan-out), which it never blocks.

        Opening, reading, hashing and sending parts all block, so the upload runs in a worker
        thread. Cancelling the awaiting task stops it after the parts in flight and cancels the
        upload on OpenAI before the cancellation goes on, so nothing is left pending.
        """
        await self.asettings()  # the connection is read the async way, not from the worker thread
        return await run_until_done(
            functools.partial(
                self.upload_file, source, purpose, filename=filename, mime_type=mime_type, settings=settings
            )
        )

    def download_file(
        self: Any, file_id: str, destination: PathOrFile, *, stop: threading.Event | None = None
    ) -> int:
        """Stream a file's content to a path, an object storage URI / `ObjectStoragePath`, or a binary
        file object, in constant memory (missing folders are created); returns the byte count.
        Setting `stop` (from another thread) ends it with `DownloadStopped` at the next chunk.

        The bytes that arrive are checked against the file's size: a body that ends early is
        downloaded again, and if it cannot be had whole the download fails with
        `IncompleteDownloadError` and removes what it wrote; a short file is never left looking whole.
        """
        expected = self.get_file(file_id).bytes
        return stream_to(self.transport, files.download_file(file_id), destination, expected, stop)

    async def adownload_file(self: Any, file_id: str, destination: PathOrFile) -> int:
        """`download_file` for an event loop, which it never blocks: opening, writing and closing the
        destination (a local disk, a bucket) all block, so the download runs in a worker thread,
        one chunk in memory at a time. Cancelling the awaiting task stops it at the next chunk;
        the cancellation goes on once the destination is closed (and a path, removed)."""
        await self.asettings()  # the connection is read the async way, not from the worker thread
        return await run_until_done(functools.partial(self.download_file, file_id, destination))


def _name_of(file: PathOrFile) -> str:
    if isinstance(file, str | os.PathLike):
        return Path(file).name
    name = getattr(file, "name", None)
    return Path(name).name if isinstance(name, str) else "upload.bin"
