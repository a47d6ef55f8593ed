"""Durations written as the service writes them in its rate-limit headers: `20ms`, `1s`, `1.5s`, `6m0s`.

`x-ratelimit-reset-requests` and `x-ratelimit-reset-tokens` carry Go's duration format,
which clients parse (the official SDKs, LangChain's rate limiters): milliseconds below a
second, then seconds with their fraction, minutes and hours as `1m30s` and `1h0m0s`.
"""

from __future__ import annotations


def duration(seconds: float) -> str:
    """`seconds`, to the millisecond, in the service's (Go's) format."""
    millis = max(0, round(seconds * 1000))
    if millis == 0:
        return "0s"
    if millis < 1000:
        return f"{millis}ms"
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, fraction = divmod(rest, 1000)
    secs = f"{whole}.{fraction:03d}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{hours}h{minutes}m{secs}"
    if minutes:
        return f"{minutes}m{secs}"
    return secs
