"""How many times to retry a failed request, and how long to wait before each retry.

Both transports retry through tenacity with the objects built here, so a sync and an async
call retry alike: what is retried is `transient.is_transient` (a download also retries a
body of the wrong length), how long to wait is the server's advice when it gives one
(`retry-after-ms`, `Retry-After` in seconds or as an HTTP date, up to `max_retry_after`)
and otherwise an exponential backoff with jitter, and the last attempt is attempt
`max_retries + 1`.

A first attempt that succeeds never reaches tenacity (`call` / `acall` make it themselves and
hand a failure over, replayed as tenacity's first attempt): a triggerer makes thousands of
status polls in a burst, and a controller costs 25-40 µs of CPU per call, 2-3% of a poll's,
plus the garbage collections its objects bring on: 5-10% more CPU per poll in a burst of
1,000 (`benchmarks/triggerer.py`). A call that fails waits far longer than that anyway.

Each retry is logged at INFO: a wait that polls through an outage logs one warning per
failed poll itself, and a warning per HTTP retry would triple that.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import tenacity

from airflow_openai.client.errors import APIStatusError, IncompleteDownloadError
from airflow_openai.client.transient import is_transient

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

T = TypeVar("T")
Predicate = Callable[[BaseException], bool]


def retried_download(error: BaseException) -> bool:
    """A download also retries a body of the wrong length: the file is fetched again from the start."""
    return is_transient(error) or isinstance(error, IncompleteDownloadError)


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry and how to space the attempts.

    Tests make retries instant with small delays (and `settle` pauses); the transports also take
    the `sleep` they hand to tenacity.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    settle: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)
    """Pauses between look-ups for what a create whose answer was lost made, before it is sent
    again: a server still at work when the client gave up lists the object a little later."""

    def delay_before(self, attempt: int, error: BaseException | None) -> float:
        """Seconds to wait before retry number `attempt` (1-based) after `error`."""
        advised = advised_delay(error.headers) if isinstance(error, APIStatusError) else None
        if advised is not None and advised >= 0:
            return min(advised, self.max_retry_after)
        backoff = min(self.initial_delay * 2 ** (attempt - 1), self.max_delay)
        return backoff * (1 - 0.25 * random.random())

    def call(
        self,
        describe: str,
        attempt: Callable[[], T],
        sleep: Callable[[float], Any],
        retry_on: Predicate = is_transient,
    ) -> T:
        """`attempt()`, retried by tenacity after a failure that `retry_on` accepts."""
        try:
            return attempt()
        except Exception as error:
            if self.max_retries < 1 or not retry_on(error):
                raise
            first_failure: Exception | None = error

        def replayed() -> T:  # tenacity's first attempt is the one that just failed
            nonlocal first_failure
            if first_failure is None:
                return attempt()
            failure, first_failure = first_failure, None
            raise failure

        return self.retrying(describe, sleep, retry_on)(replayed)

    async def acall(
        self,
        describe: str,
        attempt: Callable[[], Awaitable[T]],
        sleep: Callable[[float], Awaitable[Any]],
        retry_on: Predicate = is_transient,
    ) -> T:
        """As `call`, on an event loop."""
        try:
            return await attempt()
        except Exception as error:
            if self.max_retries < 1 or not retry_on(error):
                raise
            first_failure: Exception | None = error

        async def replayed() -> T:
            nonlocal first_failure
            if first_failure is None:
                return await attempt()
            failure, first_failure = first_failure, None
            raise failure

        result: T = await self.aretrying(describe, sleep, retry_on)(replayed)
        return result

    def retrying(
        self, describe: str, sleep: Callable[[float], Any], retry_on: Predicate = is_transient
    ) -> tenacity.Retrying:
        """The tenacity controller for one blocking call, named `describe` in the log."""
        return tenacity.Retrying(sleep=sleep, **self._options(describe, retry_on))

    def aretrying(
        self, describe: str, sleep: Callable[[float], Awaitable[Any]], retry_on: Predicate = is_transient
    ) -> tenacity.AsyncRetrying:
        """The tenacity controller for one call on an event loop."""
        return tenacity.AsyncRetrying(sleep=sleep, **self._options(describe, retry_on))

    def _options(self, describe: str, retry_on: Predicate) -> dict[str, Any]:
        def log_retry(state: tenacity.RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome is not None else None
            pause = state.next_action.sleep if state.next_action is not None else 0.0
            log.info(
                "%s failed (%s); retry %d of %d in %.2fs",
                describe,
                error,
                state.attempt_number,
                self.max_retries,
                pause,
            )

        return {
            "retry": tenacity.retry_if_exception(retry_on),
            "stop": tenacity.stop_after_attempt(self.max_retries + 1),
            "wait": self._wait,
            "before_sleep": log_retry,
            "reraise": True,
        }

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        return self.delay_before(state.attempt_number, error)


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
