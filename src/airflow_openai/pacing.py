"""How long to wait before the next status poll of something that runs for minutes to hours.

The age of what is watched sets the pace: the next poll comes after a tenth of the time it
has been running (at least `minimum`, at most `maximum`), so a 24-hour batch or fine-tuning
job costs well under 100 polls while a 2-minute one is seen finishing within about 10% of
its run time. Where progress is reported, the estimated time to finish caps the wait, so
the end is not overshot. Every job kind's wait uses it, through the engine's `Watch`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from airflow_openai.outage import DEFAULT_OUTAGE_BUDGET


class Progress(Protocol):
    """Counts of work done out of a total, as a batch reports them."""

    @property
    def total(self) -> int: ...
    @property
    def done(self) -> int: ...
    @property
    def failed(self) -> int: ...


@dataclass(frozen=True)
class PollPacing:
    minimum: float = 5.0
    maximum: float = 3600.0
    fraction: float = 0.1
    outage_budget: float = DEFAULT_OUTAGE_BUDGET
    """Seconds without a successful poll before the wait gives up; failed polls back off meanwhile."""

    def next_delay(
        self, elapsed: float, assessment: Progress | None = None, rate: float | None = None
    ) -> float:
        """Seconds to the next poll, `elapsed` seconds after the watched object was created.

        `rate` is the observed units of work (requests) per second since the previous poll, if any.
        """
        delay = max(self.minimum, self.fraction * elapsed)
        if assessment is not None and rate and rate > 0 and assessment.total:
            remaining = assessment.total - assessment.done - assessment.failed
            delay = min(delay, remaining / rate + self.minimum)
        return min(max(delay, self.minimum), self.maximum)

    def to_dict(self) -> dict[str, float]:
        return {
            "minimum": self.minimum,
            "maximum": self.maximum,
            "fraction": self.fraction,
            "outage_budget": self.outage_budget,
        }
