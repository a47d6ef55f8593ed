"""Waiting out an API outage: back off while calls fail, give up only when the outage outlasts its budget.

A batch or a fine-tuning job runs for hours; an API outage of minutes must not end the
wait for it. Every wait (the hook's, a trigger's, a sensor's) and every step that must
reach the API before it can go on (reattaching, collecting results) keeps one `Outage`:
failures in a row back off exponentially, up to `BACKOFF_CAP`, and only when no call has
succeeded for `budget` seconds does the wait give up, saying for how long and why.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

DEFAULT_OUTAGE_BUDGET = 1800.0
"""Seconds without one successful call before a wait gives up (30 minutes)."""
BACKOFF_CAP = 120.0
"""The longest pause between two tries during an outage: the end of an outage is seen within two minutes."""
FIRST_BACKOFF = 2.0


def is_outage(error: BaseException) -> bool:
    """`airflow_openai.client.transient.is_transient`: the one definition, which the HTTP retry shares."""
    from airflow_openai.client.transient import is_transient  # imported here: keeps DAG parsing light

    return is_transient(error)


class OutageExceeded(Exception):
    """The API could not be reached for longer than the outage budget."""


class Outage:
    """Failed calls in a row since the last success, how long to pause, and whether to give up."""

    def __init__(
        self,
        budget: float = DEFAULT_OUTAGE_BUDGET,
        now: float | None = None,
        *,
        first_backoff: float = FIRST_BACKOFF,
        cap: float = BACKOFF_CAP,
    ) -> None:
        self.budget = budget
        self.first_backoff = first_backoff
        self.cap = cap
        self.last_success = time.time() if now is None else now
        self.failures = 0
        self.last_error = ""

    @property
    def ongoing(self) -> bool:
        return self.failures > 0

    def succeeded(self, now: float) -> None:
        if self.failures:
            log.info("The API answers again after %d failed calls", self.failures)
        self.failures = 0
        self.last_success = now

    def failed(self, error: BaseException) -> None:
        self.failures += 1
        self.last_error = str(error)

    def poll_failed(self, what: str, error: BaseException, now: float) -> str:
        """Count a poll of `what` that the API did not answer; the one line a wait logs for it."""
        self.failed(error)
        waited = max(now - self.last_success, 0.0)
        return (
            f"Polling {what} failed ({error}); the API has not answered for {waited:.0f}s, "
            f"{max(self.budget - waited, 0.0):.0f}s of the {self.budget:.0f}s outage budget left"
        )

    def exhausted(self, now: float) -> bool:
        return self.ongoing and now - self.last_success >= self.budget

    def backoff(self) -> float:
        """Seconds to pause before the next try: doubling from `first_backoff`, at most `cap`, jittered."""
        delay = min(self.first_backoff * 2 ** min(self.failures - 1, 30), self.cap)
        return delay * (1 - 0.2 * random.random())

    def to_dict(self) -> dict[str, Any]:
        """What a wait that runs afresh in every process (a sensor in reschedule mode) keeps in
        the task state store, so its outage is counted across its pokes."""
        return {"last_success": self.last_success, "failures": self.failures, "last_error": self.last_error}

    @classmethod
    def restore(cls, budget: float, kept: Any, now: float | None = None) -> Outage:
        """An outage as `to_dict` kept it, or a fresh one."""
        outage = cls(budget, now)
        if isinstance(kept, dict) and kept.get("failures"):
            outage.last_success = float(kept.get("last_success") or outage.last_success)
            outage.failures = int(kept["failures"])
            outage.last_error = str(kept.get("last_error") or "")
        return outage

    def describe(self, now: float) -> str:
        return (
            f"the API could not be reached for {now - self.last_success:.0f}s "
            f"({self.failures} failed calls in a row, outage budget {self.budget:.0f}s); "
            f"last error: {self.last_error}"
        )


def waited_out(
    step: Callable[[], T],
    what: str,
    *,
    budget: float = DEFAULT_OUTAGE_BUDGET,
    sleep: Callable[[float], Any] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> T:
    """Run `step` until it gets through an outage, pausing between tries; raise `OutageExceeded`
    (from the last error) once the API has been unreachable for `budget` seconds.

    `step` must be safe to run again: reattaching and collecting results are, since
    creates are reconciled and results are written afresh.
    """
    outage = Outage(budget, clock())
    while True:
        try:
            return step()
        except Exception as exc:
            if not is_outage(exc):
                raise
            outage.failed(exc)
            now = clock()
            if outage.exhausted(now):
                raise OutageExceeded(f"{what} gave up: {outage.describe(now)}") from exc
            pause = outage.backoff()
            log.warning("%s failed (%s); the API seems down, trying again in %.0fs", what, exc, pause)
            sleep(pause)
