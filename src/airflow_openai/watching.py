"""One wait over several objects that report progress — batches, or a store's file batches.

It keeps each object's latest assessment and the rate its work is done at, says when to
look again (the shared `PollPacing`, capped by the estimated time to finish), and counts an
outage: while polls fail because the API is down they back off, and the wait gives up only
when no poll has succeeded for the outage budget. The hook's blocking waits and the
triggers drive the same watch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from airflow_openai.outage import BACKOFF_CAP, Outage
from airflow_openai.pacing import PollPacing


class Assessed(Protocol):
    @property
    def batch_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def finished(self) -> bool: ...
    @property
    def processed(self) -> int: ...
    @property
    def done(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def total(self) -> int: ...


A = TypeVar("A", bound=Assessed)


class ProgressWatch(Generic[A]):
    noun = "batch"

    def __init__(
        self, ids: list[str], pacing: PollPacing, started_at: float, now: float | None = None
    ) -> None:
        """`started_at` is when the objects were created (it paces the polls); `now`, when this
        watch begins: an outage is counted from there, not from the creation, so a trigger that
        starts again on objects hours old still gets its whole outage budget."""
        self.ids = list(ids)
        self.pacing = pacing
        self.started_at = started_at
        self.latest: dict[str, A] = {}
        self._previous: dict[str, tuple[float, int]] = {}
        self._rates: dict[str, float] = {}
        self.outage = Outage(
            pacing.outage_budget,
            time.time() if now is None else now,
            first_backoff=pacing.minimum,
            cap=min(BACKOFF_CAP, pacing.maximum),
        )

    def describe(self) -> str:
        """What is watched, for messages: `batches a, b`."""
        return ", ".join(self.ids)

    def pending(self) -> list[str]:
        """The objects not seen finished yet."""
        return [i for i in self.ids if i not in self.latest or not self.latest[i].finished]

    def poll_failed(self, error: BaseException) -> None:
        """Count a poll that failed because the API is down or overloaded."""
        self.outage.failed(error)

    def outage_exceeded(self, now: float) -> str | None:
        """Why the wait gives up on an outage that outlasted its budget, naming what it waited for."""
        if not self.outage.exhausted(now):
            return None
        return f"stopped waiting for {self.describe()}: {self.outage.describe(now)}"

    def record(self, assessment: A, now: float) -> None:
        """Keep the latest assessment, and the rate the object's work is being done at."""
        self.outage.succeeded(now)
        key = assessment.batch_id
        if key in self._previous and now > self._previous[key][0]:
            then, before = self._previous[key]
            self._rates[key] = (assessment.processed - before) / (now - then)
        self._previous[key] = (now, assessment.processed)
        self.latest[key] = assessment

    def failure(self) -> A | None:
        """The first object seen failed, if any."""
        return next((a for a in self.latest.values() if a.outcome == "failed"), None)

    def all_finished(self) -> bool:
        return len(self.latest) == len(self.ids) and all(a.finished for a in self.latest.values())

    def next_delay(self, now: float, deadline: float | None = None) -> float:
        running = [a for a in self.latest.values() if not a.finished]
        delays = [
            self.pacing.next_delay(now - self.started_at, a, self._rates.get(a.batch_id)) for a in running
        ]
        delay = min(delays, default=self.pacing.minimum)
        if self.outage.ongoing:  # back off while the API is down, however close the work seemed
            delay = max(delay, self.outage.backoff())
            delay = min(delay, max(self.outage.last_success + self.outage.budget - now, 0.0))
        if deadline is not None:
            delay = min(delay, max(deadline - now, 0.0))
        return delay

    def statuses(self) -> dict[str, str]:
        """Id → its last status seen (objects not seen yet are left out)."""
        return {key: a.status for key, a in self.latest.items()}


def wait_until_finished(
    watch: ProgressWatch[A],
    read: Callable[[str], A],
    *,
    deadline: float | None,
    on_progress: Callable[[A], None] | None,
    sleep: Callable[[float], Any],
    clock: Callable[[], float],
    log: Any,
    timeout: type[Exception],
) -> dict[str, A]:
    """The blocking wait of the hook over `watch`: `read(id)` assesses one object.

    Returns every object's final assessment once all have finished, or as soon as one has
    failed (the caller decides what to do with the others); raises `timeout` past `deadline`
    (a Unix time), and `OutageExceeded` when no poll has succeeded for the outage budget
    (polls back off meanwhile). `on_progress` hears of every poll's assessment.
    """
    from airflow_openai.outage import OutageExceeded, is_outage

    while True:
        now = clock()
        for key in watch.pending():
            try:
                assessment = read(key)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                watch.poll_failed(exc)
                log.warning("Polling %s %s failed (%s); will try again", watch.noun, key, exc)
                continue
            watch.record(assessment, now)
            if on_progress is not None:
                on_progress(assessment)
        if watch.failure() is not None or watch.all_finished():
            return watch.latest
        gave_up = watch.outage_exceeded(clock())
        if gave_up is not None:
            raise OutageExceeded(gave_up)
        if deadline is not None and now >= deadline:
            raise timeout(f"{watch.describe()} did not finish before the deadline")
        sleep(watch.next_delay(now, deadline))
