"""Blocking transfers handed from an event loop to a worker thread, and stopped when the caller is cancelled.

Opening, writing and closing files (local or object storage) block, so the hook's async
transfers run their sync twin in a thread: a triggerer's loop keeps serving every other
trigger, and memory stays what the sync transfer uses. When the awaiting task is
cancelled, the transfer is told to stop and the cancellation goes on only once it has
ended, so no file is still being written, nor upload pending, after the caller moved on.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import IO, Any, TypeVar

T = TypeVar("T")


class DownloadStopped(Exception):
    """The download was asked to stop (its caller was cancelled) before it finished."""


async def run_until_done(work: Callable[..., T]) -> T:
    """Run `work(stop=...)` in a worker thread; if the awaiting task is cancelled, set `stop`,
    wait for `work` to end, then let the cancellation go on."""
    stop = threading.Event()
    running = asyncio.ensure_future(asyncio.to_thread(work, stop=stop))
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        stop.set()
        with contextlib.suppress(Exception):  # it ends stopped; what matters is that it has ended
            await running
        raise


class StoppableWriter:
    """A binary file object whose writes fail with `DownloadStopped` once `stop` is set.

    Everything else (position, seeking, truncating for a restarted download) goes to the
    wrapped file, so a stopped download is cleaned up like any other failed one.
    """

    def __init__(self, destination: IO[bytes], stop: threading.Event) -> None:
        self._destination = destination
        self._stop = stop

    def write(self, chunk: bytes) -> int:
        if self._stop.is_set():
            raise DownloadStopped("the download was stopped because its caller was cancelled")
        return self._destination.write(chunk)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._destination, name)


def stoppable(destination: IO[bytes], stop: threading.Event | None) -> IO[bytes]:
    """`destination` itself when nothing can stop the download, else a `StoppableWriter` around it."""
    return destination if stop is None else StoppableWriter(destination, stop)  # type: ignore[return-value]
