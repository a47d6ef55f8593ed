"""The rate limits the API reports on its answers (`x-ratelimit-*` headers), read into a small value.

The service sends, with each inference answer (and with a 429), the limits of the key's project
for the model: how many requests and tokens a minute it may use, how many remain, and how long
until they are whole again, as a duration such as `1s`, `6m0s`, `20ms` or `1h2m3.5s`. The hook
keeps the latest it saw (`OpenAIHook.rate_limits`); `RateLimits.from_headers` reads any
answer's, such as a `RateLimitError`'s `headers`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

PREFIX = "x-ratelimit-"

_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str | None) -> float | None:
    """Seconds in a duration as the API writes them (Go's notation: `1s`, `6m0s`, `20ms`,
    `1h2m3.5s`; a bare number is seconds), or None when it is not one."""
    if text is None:
        return None
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    total, end = 0.0, 0
    for match in _DURATION.finditer(text):
        if match.start() != end:
            return None
        total += float(match.group(1)) * _SECONDS[match.group(2)]
        end = match.end()
    return total if text and end == len(text) else None


def _count(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(float(text.strip()))
    except ValueError:
        return None


@dataclass(frozen=True)
class RateLimits:
    """The limits one answer reported; a field is None when the answer did not carry it.

    `reset_requests` and `reset_tokens` are seconds from `observed_at` (the client's wall
    clock, `time.time()`, when the answer arrived) until that limit is whole again;
    `requests_reset_at` and `tokens_reset_at` are the same moments as wall-clock times.
    """

    limit_requests: int | None = None
    limit_tokens: int | None = None
    remaining_requests: int | None = None
    remaining_tokens: int | None = None
    reset_requests: float | None = None
    reset_tokens: float | None = None
    observed_at: float = 0.0

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], observed_at: float | None = None) -> RateLimits | None:
        """The limits in an answer's headers, or None when it carries none."""
        if not any(f"{PREFIX}{kind}-{what}" in headers for kind in _KINDS for what in _WHATS):
            return None
        return cls(
            limit_requests=_count(headers.get(f"{PREFIX}limit-requests")),
            limit_tokens=_count(headers.get(f"{PREFIX}limit-tokens")),
            remaining_requests=_count(headers.get(f"{PREFIX}remaining-requests")),
            remaining_tokens=_count(headers.get(f"{PREFIX}remaining-tokens")),
            reset_requests=parse_duration(headers.get(f"{PREFIX}reset-requests")),
            reset_tokens=parse_duration(headers.get(f"{PREFIX}reset-tokens")),
            observed_at=time.time() if observed_at is None else observed_at,
        )

    @property
    def requests_reset_at(self) -> float | None:
        return None if self.reset_requests is None else self.observed_at + self.reset_requests

    @property
    def tokens_reset_at(self) -> float | None:
        return None if self.reset_tokens is None else self.observed_at + self.reset_tokens


_KINDS = ("limit", "remaining", "reset")
_WHATS = ("requests", "tokens")


class LatestRateLimits:
    """The limits of the latest answer that carried any, shared by a hook's sync and async transports.

    Answers without `x-ratelimit-*` headers (most reads) leave it as it was; the service sends
    the limits with every report, so an answer without either limit carries none, and costs two
    header look-ups (a microsecond) to pass over.
    """

    def __init__(self) -> None:
        self.latest: RateLimits | None = None

    def observe(self, headers: Mapping[str, str]) -> None:
        if f"{PREFIX}limit-requests" not in headers and f"{PREFIX}limit-tokens" not in headers:
            return
        found = RateLimits.from_headers(headers)
        if found is not None:
            self.latest = found
