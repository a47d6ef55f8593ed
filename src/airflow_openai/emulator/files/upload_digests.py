"""The md5 of an upload, worked out while its parts arrive rather than all at completion.

Parts are hashed in the order their requests began, which is the order a client sending
them in sequence will list them in. Completion then waits only for the last part or two.
If the parts are listed in another order, or the emulator restarted mid-upload (this
state lives in memory), completion hashes them from the start instead, so the answer
is the same either way, only slower.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

READ_BLOCK = 8 << 20


def md5_of(paths: list[Path]) -> str:
    """The md5 of the files' bytes, one after another."""
    digest = hashlib.md5(usedforsecurity=False)
    for path in paths:
        _feed(digest, path)
    return digest.hexdigest()


def _feed(digest: hashlib._Hash, path: Path) -> None:
    block = memoryview(bytearray(READ_BLOCK))
    with path.open("rb", buffering=0) as source:
        while count := source.readinto(block):
            digest.update(block[:count])


def _lowest_priority() -> None:
    """Hash only with CPU nothing else wants: a client on the same machine (tests, benchmarks) is not
    slowed for an md5 it may never ask for. Linux sets this per thread; elsewhere it would apply to
    the whole process, so it is left alone."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


@dataclass
class _Running:
    upload_id: str
    order: list[str] = field(default_factory=list)
    """Part ids in the order their requests began."""
    stored: dict[str, Path] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)
    hashed: int = 0
    """How many of `order` are in `digest`."""
    digest: hashlib._Hash = field(default_factory=lambda: hashlib.md5(usedforsecurity=False))
    busy: Future[None] | None = None


class UploadDigests:
    """Running md5s of pending uploads, advanced by one background thread."""

    def __init__(self) -> None:
        self._uploads: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="emulator-md5", initializer=_lowest_priority
        )

    def part_started(self, upload_id: str, part_id: str) -> None:
        with self._lock:
            self._uploads.setdefault(upload_id, _Running(upload_id)).order.append(part_id)

    def part_stored(self, upload_id: str, part_id: str, path: Path) -> None:
        self._settle(upload_id, part_id, path)

    def part_dropped(self, upload_id: str, part_id: str) -> None:
        """A part whose request failed: it will never be listed, so it must not block the ones after it."""
        self._settle(upload_id, part_id, None)

    def md5(self, upload_id: str, part_ids: list[str], paths: list[Path]) -> str:
        """The md5 of the parts in the listed order; from the running hash when the order matches."""
        with self._lock:
            running = self._uploads.get(upload_id)
            busy = running.busy if running is not None else None
        try:
            if busy is not None:
                busy.result()
        except OSError:
            running = None
        finally:
            self.forget(upload_id)
        if running is not None:
            kept = [part_id for part_id in running.order if part_id not in running.dropped]
            if kept == part_ids and running.hashed == len(running.order):
                return running.digest.hexdigest()
        return md5_of(paths)

    def forget(self, upload_id: str) -> None:
        with self._lock:
            self._uploads.pop(upload_id, None)

    def clear(self) -> None:
        with self._lock:
            self._uploads.clear()

    def close(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)

    def _settle(self, upload_id: str, part_id: str, path: Path | None) -> None:
        with self._lock:
            running = self._uploads.get(upload_id)
            if running is None:
                return
            if path is None:
                running.dropped.add(part_id)
            else:
                running.stored[part_id] = path
            if running.busy is None:
                running.busy = self._worker.submit(self._advance, running)

    def _advance(self, running: _Running) -> None:
        """Hash every part that is next in order and stored; stop at the first that is still arriving."""
        while True:
            with self._lock:
                if self._uploads.get(running.upload_id) is not running:
                    running.busy = None
                    return  # completed without an md5, or cancelled: nobody needs the hash any more
                if running.hashed >= len(running.order):
                    running.busy = None
                    return
                part_id = running.order[running.hashed]
                if part_id in running.dropped:
                    running.hashed += 1
                    continue
                path = running.stored.get(part_id)
                if path is None:
                    running.busy = None
                    return
            _feed(running.digest, path)
            with self._lock:
                running.hashed += 1
