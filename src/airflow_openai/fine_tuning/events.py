"""A fine-tuning job's events, each shown once: a cursor that says which were already logged.

The API lists a job's events newest first, and pages towards older ones. To log what is
new since the last poll, the listing is read from the top until it reaches the last event
already logged; what was read is then logged oldest first. The cursor is two plain values
(the last event's id and time), so it travels through a deferral (trigger kwargs and its
event) and a retry (the task state store) as well as from one poll to the next.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from airflow_openai.models import FineTuningJobEvent

PAGE_SIZE = 100


@dataclass(frozen=True)
class EventCursor:
    """The newest event already logged; `None` when none has been."""

    last_id: str | None = None
    last_at: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, value: Any) -> EventCursor:
        if not isinstance(value, dict):
            return cls()
        return cls(last_id=value.get("last_id"), last_at=int(value.get("last_at") or 0))


def reached(event: FineTuningJobEvent, cursor: EventCursor) -> bool:
    """Reading newest first, `event` is where the already logged ones begin: the cursor's own
    event, or one older than it (should the cursor's event ever have been removed)."""
    return cursor.last_id is not None and (event.id == cursor.last_id or event.created_at < cursor.last_at)


def unseen(newest_first: Iterable[FineTuningJobEvent], cursor: EventCursor) -> list[FineTuningJobEvent]:
    """The events after `cursor`, oldest first, reading `newest_first` only as far as needed,
    so a long job's history is not read again at every poll."""
    new: list[FineTuningJobEvent] = []
    for event in newest_first:
        if reached(event, cursor):
            break
        new.append(event)
    new.reverse()
    return new


def advanced(cursor: EventCursor, logged: list[FineTuningJobEvent]) -> EventCursor:
    """The cursor once `logged` (oldest first) have been shown."""
    if not logged:
        return cursor
    return EventCursor(last_id=logged[-1].id, last_at=logged[-1].created_at)


def line(job_id: str, event: FineTuningJobEvent) -> str:
    """How an event reads in the task log: the job, the event's own time and level, its message."""
    at = time.strftime("%H:%M:%S", time.gmtime(event.created_at))
    return f"[{job_id} {at} {event.level}] {event.message}"
