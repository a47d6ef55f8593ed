"""How fast direct calls may go: the key's rate limits, learnt from the answers, kept as the service keeps them.

The service holds, per key and model, a bucket of requests and one of tokens, each refilling at
its per-minute limit, and refuses (429) a call when either holds too little. Asking until refused
and backing off turns a limit into a storm of 429s and stalls; `RatePacer` instead keeps its own
copy of both buckets and lets a call go only when both hold enough, so calls leave at the rate the
limits refill and the service seldom has to refuse one.

- The limits come from the answers (`x-ratelimit-limit-*`): until the first answer says them, one
  call at a time goes (the probe). An answer that carries no limits means none are enforced; calls
  then go as fast as the concurrency allows.
- The buckets are corrected by what the service says remains (`x-ratelimit-remaining-*`), less the
  calls still in flight and plus what refilled during one round trip, whenever the service's count
  is lower than ours by more than a little: a second client on the same key, or estimates that
  differ from the service's, slow us down instead of drawing 429s.
- A 429 empties the buckets until the time the service advised (`retry-after`): every caller
  waits, not only the one refused.

Plain logic on an injected clock: `delay(tokens)` says how long a call must wait, `take(tokens)`
spends for it; the async driver (`runner`) sleeps between the two.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from airflow_openai.client.rate_limits import RateLimits

MAX_PAUSE = 60.0
"""The longest pause a 429 imposes, whatever `retry-after` says (the client's retry policy caps it alike)."""
SLACK = 0.02
"""A correction applies when the service's count is lower than ours by more than this share of the limit."""


@dataclass
class Bucket:
    """Up to `limit` units, refilling at `limit` a minute; `level` may go below zero (a debt)."""

    limit: float
    level: float
    at: float

    def refill(self, now: float) -> None:
        self.level = min(self.limit, self.level + (now - self.at) * self.limit / 60)
        self.at = now

    def wait_for(self, amount: float) -> float:
        """Seconds until `amount` is in; under a microsecond counts as now (what refills in between is
        rounded away, and a wait that small would never move a clock forward)."""
        wait = (min(amount, self.limit) - self.level) * 60 / self.limit
        return wait if wait > 1e-6 else 0.0


@dataclass
class RatePacer:
    clock: Callable[[], float] = time.monotonic
    known: bool = False
    """The first answer has come back: the limits (or their absence) are known."""
    requests: Bucket | None = None
    tokens: Bucket | None = None
    in_flight: int = 0
    in_flight_tokens: int = 0
    paused_until: float = 0.0
    round_trip: float = 0.0
    """Seconds the latest answer took: what refills between the service's count and ours."""

    def delay(self, tokens: int) -> float:
        """Seconds before a call of `tokens` may go (0: now)."""
        now = self.clock()
        if now < self.paused_until:
            return self.paused_until - now
        if not self.known:
            return 0.0 if self.in_flight == 0 else 0.05
        waits = [0.0]
        for bucket, amount in ((self.requests, 1), (self.tokens, tokens)):
            if bucket is not None:
                bucket.refill(now)
                waits.append(bucket.wait_for(amount))
        return max(waits)

    def take(self, tokens: int) -> None:
        """A call of `tokens` goes now."""
        self.in_flight += 1
        self.in_flight_tokens += tokens
        for bucket, amount in ((self.requests, 1), (self.tokens, tokens)):
            if bucket is not None:
                bucket.level -= amount

    def answered(self, tokens: int, limits: RateLimits | None, round_trip: float) -> None:
        """A call of `tokens` came back after `round_trip` seconds, with the limits its answer reported."""
        self.in_flight = max(0, self.in_flight - 1)
        self.in_flight_tokens = max(0, self.in_flight_tokens - tokens)
        self.round_trip = round_trip
        now = self.clock()
        self.known = True
        if limits is None:
            return
        self.requests = _learnt(self.requests, limits.limit_requests, limits.remaining_requests, now)
        self.tokens = _learnt(self.tokens, limits.limit_tokens, limits.remaining_tokens, now)
        counts = (
            (self.requests, limits.remaining_requests, self.in_flight),
            (self.tokens, limits.remaining_tokens, self.in_flight_tokens),
        )
        for bucket, remaining, pending in counts:
            if bucket is None or remaining is None:
                continue
            bucket.refill(now)
            theirs = remaining + round_trip * bucket.limit / 60 - pending
            if theirs < bucket.level - SLACK * bucket.limit:
                bucket.level = theirs

    def refused(self, retry_after: float | None) -> None:
        """The service answered 429: nobody goes before it advised, and the buckets start empty from then."""
        now = self.clock()
        wait = min(MAX_PAUSE, retry_after) if retry_after is not None else 1.0
        self.paused_until = max(self.paused_until, now + wait)
        for bucket in (self.requests, self.tokens):
            if bucket is not None:  # empty when the pause ends, then refilling
                bucket.refill(now)
                bucket.level = min(bucket.level, -wait * bucket.limit / 60)

    def forget(self, tokens: int) -> None:
        """A call that went ended without an answer (the task is stopping)."""
        self.in_flight = max(0, self.in_flight - 1)
        self.in_flight_tokens = max(0, self.in_flight_tokens - tokens)


def _learnt(bucket: Bucket | None, limit: int | None, remaining: int | None, now: float) -> Bucket | None:
    """The bucket for a limit an answer reported: made when first seen (holding what remains), its
    size changed when the service's limit changed (another tier, another model); kept when not said."""
    if not limit:
        return bucket
    if bucket is None:
        return Bucket(limit=float(limit), level=float(limit if remaining is None else remaining), at=now)
    bucket.limit = float(limit)
    return bucket
