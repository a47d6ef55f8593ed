"""Which failures are worth another attempt, and how long to wait before it.

Written once and handed to tenacity by both the sync and the async transport.
The server's advice wins: `x-should-retry` decides whether, `retry-after-ms` and
`Retry-After` (seconds or an HTTP date) decide when, up to a cap; otherwise the wait
grows exponentially with jitter.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import RetryCallState, retry_if_exception, stop_after_attempt

from airflow_openai.client.errors import APIConnectionError, APIStatusError

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry and how to space the attempts."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

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

    def tenacity_arguments(self, sleep: Callable[[float], Any], describe: str) -> dict[str, Any]:
        """Keyword arguments for `tenacity.Retrying` / `AsyncRetrying`, identical for both."""

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            return self.delay_before(state.attempt_number, error)

        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            delay = state.next_action.sleep if state.next_action else 0.0
            log.warning(
                "%s failed (%s); retry %d of %d in %.2fs",
                describe,
                error,
                state.attempt_number,
                self.max_retries,
                delay,
            )

        return {
            "stop": stop_after_attempt(self.max_retries + 1),
            "retry": retry_if_exception(self.should_retry),
            "wait": wait,
            "sleep": sleep,
            "before_sleep": before_sleep,
            "reraise": True,
        }


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
