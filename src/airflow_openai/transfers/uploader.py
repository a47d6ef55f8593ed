"""Large files through the Uploads API: parts read in order, sent several at a time, completed with an md5.

Memory stays at `concurrency × part_size` whatever the file size: a part is read only
when one of that many buffers is free, and buffers are reused rather than allocated per
part. A part that fails is retried alone (by the transport's retry policy); if the
upload cannot finish, or is stopped, it is cancelled so nothing is left pending.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from airflow_openai.client.bodies import ViewStream
from airflow_openai.models import OpenAIFile
from airflow_openai.transfers.part_buffers import PartBuffers, fill
from airflow_openai.transfers.sources import OpenedSource

log = logging.getLogger(__name__)

MAX_PART_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class UploadSettings:
    part_size: int = MAX_PART_BYTES
    concurrency: int = 4
    threshold: int = 64 * 1024 * 1024
    """Files up to this size go in one `POST /files`; larger ones through the Uploads API."""
    md5: bool = True
    """Send the file's md5 so the platform checks every byte arrived; costs the worker about
    2 s of CPU per GB."""

    def __post_init__(self) -> None:
        if not 5 * 1024 * 1024 <= self.part_size <= MAX_PART_BYTES and self.part_size != 0:
            raise ValueError("part_size must be between 5 MB and 64 MB")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")


class Progress:
    """Logs bytes sent, percent and MB/s, at most every few seconds (never once per part of a small file)."""

    def __init__(self, filename: str, total: int, every: float = 5.0) -> None:
        self.filename, self.total, self.every = filename, total, every
        self.sent = 0
        self._started = self._last = time.monotonic()
        self._lock = threading.Lock()

    def add(self, count: int) -> None:
        with self._lock:
            self.sent += count
            now = time.monotonic()
            if now - self._last >= self.every or self.sent == self.total:
                self._last = now
                rate = self.sent / max(now - self._started, 1e-9) / 1e6
                log.info(
                    "%s: %d of %d bytes sent (%.0f%%), %.1f MB/s",
                    self.filename,
                    self.sent,
                    self.total,
                    100 * self.sent / self.total,
                    rate,
                )


class UploadStopped(Exception):
    """The upload was asked to stop (the task was killed or cancelled); it has been cancelled on OpenAI."""


def upload_in_parts(
    hook: Any,
    source: OpenedSource,
    purpose: str,
    mime_type: str,
    settings: UploadSettings,
    stop: threading.Event | None = None,
    buffers: PartBuffers | None = None,
) -> OpenAIFile:
    part_size = min(settings.part_size, source.size)
    if buffers is None:
        buffers = PartBuffers(settings.concurrency, part_size)
    elif buffers.size < part_size:
        raise ValueError(f"the shared part buffers hold {buffers.size} bytes; parts need {part_size}")
    upload = hook.create_upload(source.filename, purpose, source.size, mime_type)
    log.info(
        "Uploading %s (%d bytes) as %s in parts of %d bytes, %d at a time",
        source.filename,
        source.size,
        upload.id,
        settings.part_size,
        settings.concurrency,
    )
    digest = hashlib.md5(usedforsecurity=False)
    progress = Progress(source.filename, source.size)
    futures: list[Future[str]] = []

    def send(buffer: bytearray, size: int) -> str:
        body = ViewStream(memoryview(buffer)[:size])
        try:
            part = hook.create_upload_part(upload.id, body)
            progress.add(size)
            return part.id
        finally:
            body.close()
            buffers.give(buffer)

    try:
        with ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="openai-upload") as pool:
            remaining = source.size
            while remaining > 0:
                _unless_stopped(stop, source, upload.id)
                buffer = buffers.take()
                handed_over = False
                try:  # a buffer not handed to `send` goes back, or uploads sharing the pool wait forever
                    if any(f.done() and f.exception() for f in futures):
                        break
                    size = fill(source.stream, memoryview(buffer)[: min(settings.part_size, remaining)])
                    if size == 0:
                        raise OSError(f"{source.filename} ended {remaining} bytes early")
                    if settings.md5:
                        digest.update(memoryview(buffer)[:size])
                    future = pool.submit(send, buffer, size)
                    handed_over = True
                finally:
                    if not handed_over:
                        buffers.give(buffer)
                futures.append(future)
                remaining -= size
            part_ids = [future.result() for future in futures]
        _unless_stopped(stop, source, upload.id)
        md5 = digest.hexdigest() if settings.md5 else None
        done = hook.complete_upload(upload.id, part_ids, md5, upload=upload)
    except BaseException:
        _cancel(hook, upload.id)
        raise
    if done.file is None:
        raise RuntimeError(f"upload {upload.id} completed without a file")
    return done.file


def _unless_stopped(stop: threading.Event | None, source: OpenedSource, upload_id: str) -> None:
    if stop is not None and stop.is_set():
        raise UploadStopped(f"the upload of {source.filename} was stopped; cancelling {upload_id}")


def _cancel(hook: Any, upload_id: str) -> None:
    try:
        hook.cancel_upload(upload_id)
        log.warning("Cancelled upload %s so that nothing is left pending", upload_id)
    except Exception as exc:  # the original error matters more
        log.warning("Could not cancel upload %s: %s", upload_id, exc)
