"""What every capability's one decision (`assess(obj)`) answers, whatever the job.

Each kind's assessment is a frozen dataclass of its own (a batch's request counts, a file
batch's file counts, a run's tool calls) with at least `status` (the API's word), `outcome`
(``running``, ``succeeded``, ``failed``, or for a run ``action``) and `message` (the line for
the task log). The engine, the sensors and the operators read those three and this property.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["running", "succeeded", "failed", "action"]
"""``action``: a run waits on tool outputs only its caller can give."""
FAILED_OR_CANCELLED = frozenset({"failed", "cancelled"})
"""The endings of a batch, a fine-tuning job or a file batch that fail a wait."""


@dataclass(frozen=True)
class Judged:
    """The base of every assessment: where the job stands, and whether the wait for it is over."""

    status: str
    outcome: Outcome
    message: str

    @property
    def finished(self) -> bool:
        """The job ended (well or not), or waits on its caller: only ``running`` is polled again."""
        return self.outcome != "running"
