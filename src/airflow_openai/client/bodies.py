"""File bodies as httpx should see them: a window of a stream, read in large pieces.

httpx reads a multipart file 64 KB at a time and seeks it to offset 0 before each attempt.
Each small read costs a pass through h11, httpcore and a socket call, which halves the
rate a part goes out at; and offset 0 is wrong for a caller's stream that starts
mid-file. `Window` answers both: reads of at least `SEND_CHUNK` bytes, and offsets
counted from where the body starts.
"""

from __future__ import annotations

import io
import os
from typing import IO

SEND_CHUNK = 1 << 20


class Window(io.RawIOBase):
    """The bytes of `stream` from `start` on, as a stream of its own that starts at offset 0.

    Closing the window leaves `stream` open: it belongs to whoever opened it.
    """

    def __init__(self, stream: IO[bytes], start: int = 0) -> None:
        super().__init__()
        self._stream = stream
        self._start = start

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return bool(self._stream.seekable())

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self._stream.read()
        return self._stream.read(max(size, SEND_CHUNK))

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_SET:
            offset += self._start
        return self._stream.seek(offset, whence) - self._start

    def tell(self) -> int:
        return self._stream.tell() - self._start


class ViewStream(io.RawIOBase):
    """A seekable stream over bytes already in memory, without copying them up front."""

    def __init__(self, view: memoryview) -> None:
        super().__init__()
        self._view = view
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = min(len(buffer), len(self._view) - self._position)
        buffer[:count] = self._view[self._position : self._position + count]
        self._position += count
        return count

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: len(self._view)}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        """Lets go of the memory: the buffer behind it is reused for the next part."""
        self._view = memoryview(b"")
        super().close()


def remaining_bytes(stream: IO[bytes]) -> int | None:
    """Bytes left from the stream's position to its end, if it can tell without being read."""
    try:
        if not stream.seekable():
            return None
        here = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(here)
        return end - here
    except (AttributeError, OSError, ValueError):
        return None
