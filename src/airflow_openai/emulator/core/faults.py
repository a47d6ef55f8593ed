"""Injected faults and rate limits, so a client's retry paths can be exercised on purpose."""

from __future__ import annotations

import fnmatch
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from airflow_openai.emulator.core.durations import duration

TRUNCATE_FRAMINGS = ("chunked", "clean", "length")


@dataclass
class Fault:
    """Answer the next `count` requests matching `method` and `path` (glob) this way instead of normally.

    By default the fault replaces the request: the service never sees it. With `after`, the
    service handles the request first (a batch or file is really created) and only then is
    its answer lost: dropped (`drop`), held back past the client's timeout (`latency_ms`), or
    replaced by an error (`status`). That is the window in which a naive retry pays twice.

    `act_after_ms` reads the whole request, waits that long and only then acts on it, as a
    service still busy when its client's timeout struck: the object appears after the
    client has given up, so a look-up made at once does not find it yet.

    `truncate_after` lets the request through and cuts its answer's body after that many
    bytes. The framing says how the cut looks: `"chunked"`, no `Content-Length` and the
    connection closes mid-body (an HTTP error); `"clean"`, no `Content-Length` and the body
    ends properly on a chunk boundary; `"length"`, a `Content-Length` of exactly that many
    bytes. The last two are short bodies that look complete to HTTP.
    """

    path: str
    method: str = "*"
    status: int | None = 500
    count: int = 1
    retry_after: float | None = None
    latency_ms: int = 0
    drop: bool = False
    after: bool = False
    act_after_ms: int = 0
    truncate_after: int | None = None
    truncate_framing: str = "chunked"
    message: str = "Injected fault"
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.truncate_framing not in TRUNCATE_FRAMINGS:
            raise TypeError(f"truncate_framing must be one of {list(TRUNCATE_FRAMINGS)}")
        if self.truncate_after is not None and self.truncate_after < 0:
            raise TypeError("truncate_after must be a byte count of zero or more")

    @property
    def acts_first(self) -> bool:
        """The service handles the request before the fault touches its answer."""
        return self.after or self.act_after_ms > 0 or self.truncate_after is not None

    def matches(self, method: str, path: str) -> bool:
        return fnmatch.fnmatchcase(method, self.method.upper()) and fnmatch.fnmatchcase(path, self.path)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class FineTuningFailure:
    """A fine-tuning job fails when it reaches step `at_step` (its last step, if it has fewer), with
    `error: {code, message, param: null}` and an error event, as a job the service gives up on."""

    at_step: int
    message: str
    code: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class VectorStoreFileFailure:
    """The next attachment of a matching file to a vector store ends `failed` with `last_error: {code, message}`.

    A file matches by id, by the filename it was uploaded with, or by both when both are
    given; with neither, the next file attached matches. Each failure strikes once.
    """

    file_id: str | None
    filename: str | None
    code: str
    message: str

    def matches(self, file_id: str, filename: str) -> bool:
        return self.file_id in (None, file_id) and self.filename in (None, filename)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class RunFailure:
    """A run of the Assistants API fails when its current (or next) turn of work ends, with
    `last_error: {code, message}` (code: server_error, rate_limit_exceeded or invalid_prompt)."""

    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._fine_tuning: deque[FineTuningFailure] = deque()
        """Failures waiting for the next fine-tuning jobs created, one each, in order."""
        self._vector_store_files: list[VectorStoreFileFailure] = []
        """Failures waiting for the files they match to be attached to a vector store."""
        self._runs: deque[RunFailure] = deque()
        """Failures waiting for the next runs created, one each, in order."""
        self.requests_per_minute: int | None = None
        self.link_bytes_per_second: float | None = None
        """Each request body carried no faster than this (see `core.slow_link`)."""
        self._seen: dict[str, deque[float]] = {}

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._fine_tuning.clear()
            self._vector_store_files.clear()
            self._runs.clear()
            self._seen.clear()
            self.requests_per_minute = None
            self.link_bytes_per_second = None

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.to_dict() for fault in self._faults]

    def fail_next_fine_tuning(self, failure: FineTuningFailure) -> None:
        with self._lock:
            self._fine_tuning.append(failure)

    def next_fine_tuning_failure(self) -> FineTuningFailure | None:
        """The failure planned for the fine-tuning job being created, if any (taken)."""
        with self._lock:
            return self._fine_tuning.popleft() if self._fine_tuning else None

    def fine_tuning_listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [failure.to_dict() for failure in self._fine_tuning]

    def fail_vector_store_file(self, failure: VectorStoreFileFailure) -> None:
        with self._lock:
            self._vector_store_files.append(failure)

    def vector_store_file_failure(self, file_id: str, filename: str) -> VectorStoreFileFailure | None:
        """The first failure planned for this file, if any (taken: it strikes once)."""
        with self._lock:
            for failure in self._vector_store_files:
                if failure.matches(file_id, filename):
                    self._vector_store_files.remove(failure)
                    return failure
        return None

    def vector_store_file_listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [failure.to_dict() for failure in self._vector_store_files]

    def fail_next_run(self, failure: RunFailure) -> None:
        with self._lock:
            self._runs.append(failure)

    def next_run_failure(self) -> RunFailure | None:
        """The failure planned for the run being created, if any (taken)."""
        with self._lock:
            return self._runs.popleft() if self._runs else None

    def run_listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [failure.to_dict() for failure in self._runs]

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
        """Whether `key` may make this request under its requests-per-minute limit (on every route, counted
        over the last 60 s), and the `x-ratelimit-*` headers. The limits of inference calls alone, on
        requests and tokens as the service keeps them, are inference's (`inference.rate_limits`)."""
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
                    "retry-after": str(max(1, math.ceil(wait))),
                    "retry-after-ms": str(max(1, math.ceil(wait * 1000))),
                    "x-ratelimit-limit-requests": str(limit),
                    "x-ratelimit-remaining-requests": "0",
                    "x-ratelimit-reset-requests": duration(wait),
                }
            window.append(now)
            remaining = limit - len(window)
            reset = 60 - (now - window[0])
        return True, {
            "x-ratelimit-limit-requests": str(limit),
            "x-ratelimit-remaining-requests": str(remaining),
            "x-ratelimit-reset-requests": duration(reset),
        }
