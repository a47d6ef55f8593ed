"""The wait on remote jobs as plain logic: fed what each poll saw, it answers "sleep N seconds"
or "fire this event".

Batches, fine-tuning jobs, vector-store file batches and assistant runs are waited on the same
way, whoever waits (the hook's blocking wait, a sensor's pokes, the trigger): the watch keeps
each job's latest assessment and the rate its work is done at, paces the polls (a tenth of the
jobs' age, capped by the estimated time to finish), counts an outage (polls that fail because
the API is down back off, and the wait gives up only once none has succeeded for the outage
budget), and keeps the deadline. It does no I/O and reads no clock: the drivers pass `now`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from airflow_openai.outage import BACKOFF_CAP, Outage
from airflow_openai.pacing import PollPacing


@dataclass(frozen=True)
class Sleep:
    """Poll again in `seconds`."""

    seconds: float


@dataclass(frozen=True)
class Fire:
    """The wait is over: `status` is ``success``, ``failed``, ``action``, ``timeout`` or ``error``."""

    status: str
    message: str


@dataclass
class PollCounts:
    answered: int = 0
    failed: int = 0
    outage_seconds: float = 0.0
    """Seconds of the outages that ended (a read answered after reads that were not)."""


class Watch:
    """One wait over one or more jobs of a kind, keyed by their ids."""

    def __init__(
        self,
        keys: list[str],
        pacing: PollPacing,
        *,
        started_at: float,
        now: float,
        deadline: float | None = None,
        what: str = "the jobs",
        summary: Callable[[dict[str, Any]], str] | None = None,
    ) -> None:
        """`started_at` is when the jobs were created (it paces the polls); `now`, when this watch
        begins: an outage is counted from there, so a wait that starts again on jobs hours old
        still gets its whole outage budget. `what` names the jobs in messages; `summary` words
        the success from the final assessments."""
        self.keys = list(keys)
        self.pacing = pacing
        self.started_at = started_at
        self.deadline = deadline
        self.what = what
        self.summary = summary
        self.latest: dict[str, Any] = {}
        self._previous: dict[str, tuple[float, int]] = {}
        self._rates: dict[str, float] = {}
        self.outage = Outage(
            pacing.outage_budget, now, first_backoff=pacing.minimum, cap=min(BACKOFF_CAP, pacing.maximum)
        )
        self._counts = PollCounts()

    def pending(self) -> list[str]:
        """The jobs not seen finished yet: what the next poll reads."""
        return [key for key in self.keys if key not in self.latest or not self.latest[key].finished]

    def seen(self, key: str, assessment: Any, now: float) -> bool:
        """Keep what a poll saw of `key`; True when its status changed (worth a log line)."""
        if self.outage.ongoing:
            self._counts.outage_seconds += max(now - self.outage.last_success, 0.0)
        self._counts.answered += 1
        self.outage.succeeded(now)
        processed = getattr(assessment, "processed", None)
        if processed is not None:
            if key in self._previous and now > self._previous[key][0]:
                then, before = self._previous[key]
                self._rates[key] = (processed - before) / (now - then)
            self._previous[key] = (now, processed)
        before_status = getattr(self.latest.get(key), "status", None)
        self.latest[key] = assessment
        return before_status != assessment.status

    def poll_failed(self, name: str, error: BaseException, now: float) -> str:
        """Count a poll that failed because the API is down or overloaded; the one line to log."""
        self._counts.failed += 1
        return self.outage.poll_failed(name, error, now)

    def take_counts(self) -> PollCounts:
        """The reads answered and failed, and the outage seconds ended, since the last call (for metrics)."""
        counts, self._counts = self._counts, PollCounts()
        return counts

    def verdict(self, now: float) -> Sleep | Fire:
        """What to do after a poll at `now`: fire on a failure, a call for action, the end of every
        job, the deadline or an outage past its budget; otherwise sleep until the next poll."""
        for wanted, status in (("failed", "failed"), ("action", "action")):
            found = next((a for a in self.latest.values() if a.outcome == wanted), None)
            if found is not None:
                return Fire(status, found.message)
        if len(self.latest) == len(self.keys) and all(a.finished for a in self.latest.values()):
            return Fire("success", self.summary(self.latest) if self.summary else f"{self.what} finished")
        if self.deadline is not None and now >= self.deadline:
            return Fire("timeout", f"{self.what} did not finish before the timeout")
        if self.outage.exhausted(now):
            return Fire("error", f"stopped waiting for {self.what}: {self.outage.describe(now)}")
        return Sleep(self.next_delay(now))

    def next_delay(self, now: float) -> float:
        running = [(key, a) for key, a in self.latest.items() if not a.finished]
        delays = [
            self.pacing.next_delay(now - self.started_at, a, self._rates.get(key)) for key, a in running
        ]
        delay = min(delays, default=self.pacing.next_delay(now - self.started_at))
        if self.outage.ongoing:  # back off while the API is down, however close the work seemed
            delay = max(delay, self.outage.backoff())
            delay = min(delay, max(self.outage.last_success + self.outage.budget - now, 0.0))
        if self.deadline is not None:
            delay = min(delay, max(self.deadline - now, 0.0))
        return delay

    def statuses(self) -> dict[str, str]:
        """Id → its last status seen (jobs not seen yet are left out)."""
        return {key: a.status for key, a in self.latest.items()}
