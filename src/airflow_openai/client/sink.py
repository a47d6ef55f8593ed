"""Where downloaded bytes go: a file object written chunk by chunk, restartable for retries."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import IO

from airflow_openai.client.errors import IncompleteDownloadError


class Sink:
    """Counts what is written and, on a retried download, starts over from where it began.

    A destination that cannot seek cannot be rewound, so a download into it is retried
    only while nothing has been written yet.
    """

    def __init__(self, destination: IO[bytes]) -> None:
        self.destination = destination
        self.written = 0
        self._start = _position(destination)

    def restart(self) -> None:
        if self.written == 0:
            return
        if self._start is None:
            raise IncompleteDownloadError(
                f"the download failed after {self.written:,} bytes, into a destination that cannot be "
                "wound back for another try"
            )
        self.discard()

    def discard(self) -> None:
        """Take back what a failed download wrote, so that nothing short is left looking whole."""
        if self._start is None or self.written == 0:
            return
        self.destination.seek(self._start)
        self.destination.truncate()
        self.written = 0

    @contextlib.contextmanager
    def discarded_on_failure(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            with contextlib.suppress(OSError, ValueError):
                self.discard()
            raise

    def write(self, chunk: bytes) -> None:
        self.destination.write(chunk)
        self.written += len(chunk)


def _position(stream: IO[bytes]) -> int | None:
    try:
        return stream.tell() if stream.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


def rewindable(stream: IO[bytes]) -> bool:
    """Whether a failed download into `stream` can be taken back and tried again."""
    return _position(stream) is not None
