"""Which failures are worth another attempt, and how long to wait before it.

Written once and asked by both the sync and the async transport after a failed attempt
(a first attempt that succeeds costs nothing more).
The server's advice wins: `x-should-retry` decides whether, `retry-after-ms` and
`Retry-After` (seconds or an HTTP date) decide when, up to a cap; otherwise the wait
grows exponentially with jitter.

A retry of a create is different: when its answer may have been lost after the server
acted, `CallAttempts` has the next attempt look for what was made before making it again.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx

from airflow_openai.client.calls import ApiCall
from airflow_openai.client.errors import AnswerLostError, APIConnectionError, APIStatusError

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry and how to space the attempts."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    settle: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)
    """Pauses between look-ups for what a create whose answer was lost made, before it is sent
    again: a server still at work when the client gave up lists the object a little later."""

    def should_retry(self, error: BaseException) -> bool:
        """True for connection errors, timeouts, 408, 409, 429 and 5xx, unless the server says otherwise."""
        if isinstance(error, APIConnectionError):
            return True
        if not isinstance(error, APIStatusError):
            return False
        advice = error.headers.get("x-should-retry")
        if advice == "true":
            return True
        if advice == "false":
            return False
        return error.status_code in RETRYABLE_STATUSES or error.status_code >= 500

    def delay_before(self, attempt: int, error: BaseException | None) -> float:
        """Seconds to wait before retry number `attempt` (1-based) after `error`."""
        advised = advised_delay(error.headers) if isinstance(error, APIStatusError) else None
        if advised is not None and 0 <= advised <= self.max_retry_after:
            return advised
        if advised is not None and advised > self.max_retry_after:
            return self.max_retry_after
        backoff = min(self.initial_delay * 2 ** (attempt - 1), self.max_delay)
        return backoff * (1 - 0.25 * random.random())

    def retry_delay(self, attempt: int, error: BaseException, describe: str) -> float | None:
        """After attempt number `attempt` (1-based) of `describe` failed with `error`: the seconds
        to wait before the next one (logged as a warning), or None when `error` is to be raised
        (not worth retrying, or no retries left). Both transports ask this after every failure."""
        if attempt > self.max_retries or not self.should_retry(error):
            return None
        delay = self.delay_before(attempt, error)
        log.warning(
            "%s failed (%s); retry %d of %d in %.2fs", describe, error, attempt, self.max_retries, delay
        )
        return delay


def advised_delay(headers: httpx.Headers) -> float | None:
    """The wait the server asks for, in seconds, or None when it gives no usable hint."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    parsed = email.utils.parsedate_to_datetime(value) if _looks_like_date(value) else None
    if parsed is None:
        return None
    return max(parsed.timestamp() - time.time(), 0.0)


def _looks_like_date(value: str) -> bool:
    try:
        return email.utils.parsedate_tz(value) is not None
    except (TypeError, ValueError):
        return False


def answer_may_be_lost(error: BaseException) -> bool:
    """The request may have reached the server and been acted on, but its answer did not arrive
    whole: a connection that dropped or timed out once the request was out, or a 5xx.

    A refusal (429, 408, 409, any 4xx) or a connection that was never made is not such a case.
    """
    if isinstance(error, APIConnectionError):
        return error.sent
    if isinstance(error, APIStatusError):
        return error.status_code >= 500
    return False


class CallAttempts:
    """One call's history across its attempts, and so what the next attempt must do first.

    Both transports run this same decision: after an attempt whose answer may have been lost,
    an idempotent call is simply repeated; a create with a `reconcile` first looks for the
    object it may have made (and returns it if found); any other create is not repeated.
    """

    def __init__(self, call: ApiCall[Any]) -> None:
        self.call = call
        self.sent_at = time.time()
        self.lost: BaseException | None = None

    def failed(self, error: BaseException) -> None:
        """Record a failed attempt; raises `AnswerLostError` when the call must not be sent again."""
        if self.call.idempotent or not answer_may_be_lost(error):
            return
        self.lost = error
        if self.call.reconcile is None:
            raise AnswerLostError(
                f"{self.call.describe} was sent and its answer was lost ({error}); it is not sent again, "
                "because what it may have created cannot be looked up: check for it before trying again"
            ) from error

    def worth_a_last_look(self, error: BaseException) -> bool:
        """After the last attempt failed: an answer was lost on the way, so what the create made may
        exist (the last answer lost, or a re-sent create refused because the first one went through)."""
        return (
            self.lost is not None
            and self.call.reconcile is not None
            and not isinstance(error, AnswerLostError)
        )

    @property
    def look_first(self) -> bool:
        """The next attempt must first look for what an earlier one may have made."""
        return self.lost is not None and self.call.reconcile is not None

    def found(self, obj: Any) -> Any:
        what = self.call.reconcile.what if self.call.reconcile is not None else "the object"
        log.warning(
            "The answer to %s was lost (%s), but the server had made %s: found %s, not creating another",
            self.call.describe,
            self.lost,
            what,
            getattr(obj, "id", obj),
        )
        return obj
