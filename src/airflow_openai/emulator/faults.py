"""Injected faults and rate limits, so a client's retry paths can be exercised on purpose."""

from __future__ import annotations

import fnmatch
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fault:
    """Answer the next `count` requests matching `method` and `path` (glob) this way instead of normally."""

    path: str
    method: str = "*"
    status: int | None = 500
    count: int = 1
    retry_after: float | None = None
    latency_ms: int = 0
    drop: bool = False
    message: str = "Injected fault"
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        return fnmatch.fnmatchcase(method, self.method.upper()) and fnmatch.fnmatchcase(path, self.path)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.requests_per_minute: int | None = None
        self.link_bytes_per_second: float | None = None
        """Each request body carried no faster than this (see `emulator.link`)."""
        self._seen: dict[str, deque[float]] = {}

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._seen.clear()
            self.requests_per_minute = None
            self.link_bytes_per_second = None

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.to_dict() for fault in self._faults]

    def take(self, method: str, path: str) -> Fault | None:
        """The first matching fault, counting this request against it."""
        with self._lock:
            for fault in self._faults:
                if fault.count > 0 and fault.matches(method, path):
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def rate_limit(self, key: str) -> tuple[bool, dict[str, str]]:
        """Whether `key` may make this request under its requests-per-minute limit, and the `x-ratelimit-*` headers."""
        limit = self.requests_per_minute
        if not limit:
            return True, {}
        now = time.monotonic()
        with self._lock:
            window = self._seen.setdefault(key, deque())
            while window and now - window[0] >= 60:
                window.popleft()
            if len(window) >= limit:
                wait = 60 - (now - window[0])
                return False, {
                    "retry-after": str(max(1, round(wait))),
                    "x-ratelimit-limit-requests": str(limit),
                    "x-ratelimit-remaining-requests": "0",
                    "x-ratelimit-reset-requests": f"{wait:.3f}s",
                }
            window.append(now)
            remaining = limit - len(window)
        return True, {
            "x-ratelimit-limit-requests": str(limit),
            "x-ratelimit-remaining-requests": str(remaining),
        }
