"""Reusable part buffers: the memory of an upload is fixed up front, not allocated per part.

A fresh 64 MB allocation per part costs page faults on every byte (larger than the
allocator keeps around, so it comes from the kernel each time) and relies on the
garbage collector to give it back. A few buffers reused in turn cost neither.
"""

from __future__ import annotations

import queue
import threading
from typing import IO


class PartBuffers:
    """At most `count` buffers of `size` bytes, made only when needed; `take` waits for a free one.

    Uploads running side by side can share one pool: together they then hold at most
    `count × size` bytes, and take turns sending.
    """

    def __init__(self, count: int, size: int) -> None:
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        self.size = size
        self._unmade = count
        self._lock = threading.Lock()

    def take(self) -> bytearray:
        with self._lock:
            if self._free.empty() and self._unmade > 0:
                self._unmade -= 1
                return bytearray(self.size)
        return self._free.get()

    def give(self, buffer: bytearray) -> None:
        self._free.put(buffer)


def fill(stream: IO[bytes], view: memoryview) -> int:
    """Read into `view` until it is full or the stream ends; returns the bytes read."""
    filled = 0
    readinto = getattr(stream, "readinto", None)
    while filled < len(view):
        if readinto is not None:
            count = readinto(view[filled:])
        else:
            data = stream.read(len(view) - filled)
            count = len(data)
            view[filled : filled + count] = data
        if not count:
            break
        filled += count
    return filled
