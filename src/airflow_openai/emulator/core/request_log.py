"""How many API requests the emulator received, per method and path: for tests that count calls.

A test asserts, say, that a job downloaded each result file once by counting
`GET /v1/files/*/content`, with no hook or client of its own in between.
"""

from __future__ import annotations

import fnmatch
import threading
from collections import Counter
from typing import Any


class RequestLog:
    """Requests under `/v1` since the last reset, counted by (method, exact path)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()

    def count(self, method: str, path: str) -> None:
        with self._lock:
            self._counts[(method.upper(), path)] += 1

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"method": method, "path": path, "count": count}
                for (method, path), count in sorted(self._counts.items())
            ]


def matching(listing: list[dict[str, Any]], path: str, method: str = "*") -> int:
    """Requests in `listing` whose method and path match these globs."""
    return sum(
        entry["count"]
        for entry in listing
        if fnmatch.fnmatchcase(entry["method"], method.upper()) and fnmatch.fnmatchcase(entry["path"], path)
    )
