"""Per-key rate limits on model calls, kept as the service keeps them: requests and tokens per minute.

Each key has two buckets, one of requests and one of tokens, each holding at most its
per-minute limit and refilling continuously (the limit over 60 s): a key that has been idle
has its whole minute's worth, and a spent request comes back after 60/RPM seconds (20 ms at
3,000 RPM). A call takes one request and its estimated tokens (`estimate`: the prompt's
characters / 4 plus the completion tokens it may spend, as the service reserves them), or,
when a bucket holds too little, is answered 429 `rate_limit_exceeded` in the service's words
with `retry-after` and `retry-after-ms`; a call asking more tokens than the whole minute's
limit is refused as too large. Every answer under a limit carries `x-ratelimit-limit-*`,
`x-ratelimit-remaining-*` and `x-ratelimit-reset-*` (time until the bucket is full again,
written as the service writes it: `20ms`, `1s`, `6m0s`).

Limits are set from the control plane (`routes_control`): a default that each key gets its
own buckets of, and limits for one key. `latency_ms` is added to every call admitted (a
refused one is answered at once, as the service answers it). A check is a few arithmetic
operations under one lock, whatever the traffic.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from airflow_openai.emulator.core.durations import duration
from airflow_openai.emulator.core.errors import EmulatorError
from airflow_openai.emulator.inference.units import CHARS_PER_TOKEN, text_of

ORGANIZATION = "org-emulator"
LEARN_MORE = "Visit https://platform.openai.com/account/rate-limits to learn more."
COMPLETION_DEFAULTS = {"/v1/completions": 16}
"""Completion tokens reserved when the call names no limit: the endpoint's own default."""


@dataclass(frozen=True)
class Limits:
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"requests_per_minute": self.requests_per_minute, "tokens_per_minute": self.tokens_per_minute}


class _Bucket:
    """Up to `limit` units, refilling at `limit` per minute."""

    __slots__ = ("limit", "level", "at")

    def __init__(self, limit: int, now: float) -> None:
        self.limit, self.level, self.at = limit, float(limit), now

    def refill(self, now: float) -> None:
        self.level = min(self.limit, self.level + (now - self.at) * self.limit / 60)
        self.at = now

    def wait_for(self, amount: int) -> float:
        """Seconds until `amount` is in the bucket (0 when it is now)."""
        return max(0.0, (amount - self.level) * 60 / self.limit)

    def headers(self, unit: str) -> dict[str, str]:
        return {
            f"x-ratelimit-limit-{unit}": str(self.limit),
            f"x-ratelimit-remaining-{unit}": str(max(0, math.floor(self.level))),
            f"x-ratelimit-reset-{unit}": duration((self.limit - self.level) * 60 / self.limit),
        }


class RateLimits:
    """The limits and buckets of one emulator (held by `EmulatorState.in_memory`; `reset` lifts them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._default = Limits()
        self._keys: dict[str, Limits] = {}
        self._buckets: dict[str, tuple[_Bucket | None, _Bucket | None]] = {}
        self.latency_ms = 0

    def set(self, limits: Limits, key: str | None = None) -> None:
        """Limit `key` (every key, each its own buckets, when None); every bucket starts full again."""
        with self._lock:
            if key is None:
                self._default = limits
            else:
                self._keys[key] = limits
            self._buckets.clear()

    def listing(self) -> dict[str, Any]:
        with self._lock:
            return {
                **self._default.to_dict(),
                "keys": {key: limits.to_dict() for key, limits in self._keys.items()},
                "latency_ms": self.latency_ms,
            }

    def lift(self) -> None:
        """No limits on any key (the latency stays)."""
        with self._lock:
            self._default, self._keys, self._buckets = Limits(), {}, {}

    def clear(self) -> None:
        self.lift()
        self.latency_ms = 0

    def close(self) -> None:
        self.clear()

    def admit(self, key: str, model: str, tokens: int) -> dict[str, str]:
        """Take one request and `tokens` from `key`'s buckets and return the headers to answer with, or
        raise the 429 the service answers when they hold too little."""
        if not self._keys and self._default == Limits():
            return {}
        now = time.monotonic()
        with self._lock:
            requests, spent = self._buckets_of(key, now)
            if spent is not None and tokens > spent.limit:
                raise _too_large(model, spent.limit, tokens, spent.headers("tokens"))
            for bucket, unit, amount in ((requests, "requests", 1), (spent, "tokens", tokens)):
                if bucket is not None and bucket.wait_for(amount) > 0:
                    raise _exceeded(model, unit, bucket, amount, _headers(requests, spent))
            if requests is not None:
                requests.level -= 1
            if spent is not None:
                spent.level -= tokens
            return _headers(requests, spent)

    def _buckets_of(self, key: str, now: float) -> tuple[_Bucket | None, _Bucket | None]:
        buckets = self._buckets.get(key)
        if buckets is None:
            limits = self._keys.get(key, self._default)
            rpm, tpm = limits.requests_per_minute, limits.tokens_per_minute
            buckets = self._buckets[key] = (
                _Bucket(rpm, now) if rpm else None,
                _Bucket(tpm, now) if tpm else None,
            )
        for bucket in buckets:
            if bucket is not None:
                bucket.refill(now)
        return buckets


def _headers(requests: _Bucket | None, spent: _Bucket | None) -> dict[str, str]:
    headers = requests.headers("requests") if requests is not None else {}
    return {**headers, **(spent.headers("tokens") if spent is not None else {})}


def _exceeded(model: str, unit: str, bucket: _Bucket, amount: int, headers: dict[str, str]) -> EmulatorError:
    wait = bucket.wait_for(amount)
    short = "RPM" if unit == "requests" else "TPM"
    used = bucket.limit - max(0, math.floor(bucket.level))
    message = (
        f"Rate limit reached for {model} in organization {ORGANIZATION} on {unit} per min ({short}): "
        f"Limit {bucket.limit}, Used {used}, Requested {amount}. Please try again in {duration(wait)}. "
        + LEARN_MORE
    )
    retry = {
        "retry-after": str(max(1, math.ceil(wait))),
        "retry-after-ms": str(max(1, math.ceil(wait * 1000))),
    }
    return EmulatorError(429, message, type=unit, code="rate_limit_exceeded", headers={**headers, **retry})


def _too_large(model: str, limit: int, tokens: int, headers: dict[str, str]) -> EmulatorError:
    message = (
        f"Request too large for {model} in organization {ORGANIZATION} on tokens per min (TPM): Limit {limit}, "
        f"Requested {tokens}. The input or output tokens must be reduced in order to run successfully. "
        + LEARN_MORE
    )
    return EmulatorError(429, message, type="tokens", code="rate_limit_exceeded", headers=headers)


def estimate(url: str, body: Any) -> int:
    """The tokens a call reserves: its text's characters / 4, plus the completion tokens it may spend."""
    if not isinstance(body, dict):
        return 0
    chars = 0
    messages = body.get("messages")
    if isinstance(messages, list):
        chars += sum(len(text_of(m.get("content"))) for m in messages if isinstance(m, dict))
    for name in ("prompt", "input"):
        value = body.get(name)
        if isinstance(value, str):
            chars += len(value)
        elif isinstance(value, list):
            chars += sum(len(item) if isinstance(item, str) else len(str(item)) for item in value)
    limit = body.get("max_completion_tokens") or body.get("max_tokens") or COMPLETION_DEFAULTS.get(url, 0)
    completion = limit if isinstance(limit, int) and not isinstance(limit, bool) else 0
    return math.ceil(chars / CHARS_PER_TOKEN) + completion
