"""The stretch of time one export covers: a DAG run's data interval, or bounds given explicitly.

An interval holds what happened from `start` (included) to `end` (left out), so the
intervals of successive runs of a schedule meet without a gap and without an overlap: an
event at exactly 10:00:00 belongs to the run of 10:00 to 11:00, not to the one before.
The audit log counts time in whole Unix seconds, so the bounds are sent as
`effective_at[gte]` and `effective_at[lt]`, each rounded up to the next whole second
(a no-op for the whole-second bounds schedules make).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any


class IntervalError(ValueError):
    """No interval, half of one, or one that ends before it starts; the message says what to give."""


def to_utc(value: Any, name: str = "time") -> datetime | None:
    """`value` as an aware UTC datetime, or None when it is None or blank.

    Takes a datetime (naive ones are taken as UTC), Unix seconds (a number, or digits as
    text: what a template renders) or ISO 8601 text such as ``2026-01-01T04:00:00+00:00``,
    ``2026-01-01 04:00:00Z`` or ``2026-01-01``.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, bool):
        raise IntervalError(f"{name} must be a date and time, got {value!r}")
    elif isinstance(value, int | float):
        moment = datetime.fromtimestamp(value, tz=timezone.utc)
    elif isinstance(value, str):
        text = value.strip()
        if not text or text == "None":
            return None
        try:
            if text.lstrip("-").replace(".", "", 1).isdigit():
                moment = datetime.fromtimestamp(float(text), tz=timezone.utc)
            else:
                moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
        except (ValueError, OverflowError, OSError):
            raise IntervalError(
                f"{name} must be an ISO 8601 date and time or Unix seconds, got {value!r}"
            ) from None
    else:
        raise IntervalError(f"{name} must be a date and time, got {type(value).__name__} {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _seconds(moment: datetime) -> int:
    return math.ceil(moment.timestamp())


@dataclass(frozen=True)
class Interval:
    """From `start` (included) to `end` (left out), both aware UTC datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise IntervalError("an interval's bounds must carry a time zone")
        if self.end <= self.start:
            raise IntervalError(
                f"the interval ends ({self.end.isoformat()}) no later than it starts "
                f"({self.start.isoformat()}): there is nothing in it to export"
            )

    @classmethod
    def resolve(
        cls,
        start: Any = None,
        end: Any = None,
        *,
        data_interval_start: Any = None,
        data_interval_end: Any = None,
    ) -> Interval:
        """Explicit `start` and `end` when given (both, or neither), else the run's data interval.

        Raises `IntervalError` saying what is missing: a run without a logical date (triggered
        from the REST API or `airflow dags trigger` without `-l`) has no data interval, and a
        schedule made with a cron string or a timedelta (a trigger timetable, Airflow 3's
        default) gives one that starts where it ends.
        """
        given_start, given_end = to_utc(start, "start"), to_utc(end, "end")
        if (given_start is None) != (given_end is None):
            missing = "end" if given_end is None else "start"
            raise IntervalError(f"give both start and end, or neither; {missing} is missing")
        if given_start is not None and given_end is not None:
            return cls(given_start, given_end)
        run_start = to_utc(data_interval_start, "data_interval_start")
        run_end = to_utc(data_interval_end, "data_interval_end")
        if run_start is None or run_end is None:
            raise IntervalError(
                "this run has no data interval (it was triggered without a logical date) and no start "
                "and end were given: pass start and end (ISO 8601 or Unix seconds, e.g. from the run's "
                "conf) to say which stretch of the audit log to export"
            )
        if run_end <= run_start:
            raise IntervalError(
                f"this run's data interval is empty ({run_start.isoformat()} to {run_end.isoformat()}): "
                "the DAG's schedule is a trigger timetable (a cron string or a timedelta in Airflow 3), "
                "whose runs cover no stretch of time. Schedule it with CronDataIntervalTimetable or "
                "DeltaDataIntervalTimetable (airflow.timetables.interval), or pass start and end"
            )
        return cls(run_start, run_end)

    def effective_at(self) -> dict[str, int]:
        """The audit log query's `effective_at` bounds, in Unix seconds."""
        return {"gte": _seconds(self.start), "lt": _seconds(self.end)}

    def contains(self, effective_at: int) -> bool:
        bounds = self.effective_at()
        return bounds["gte"] <= effective_at < bounds["lt"]

    def file_name(self, suffix: str = ".jsonl") -> str:
        """One name per interval, e.g. ``20260101T040000Z-20260101T050000Z.jsonl``: a rerun of
        the interval writes the same file again, and names sort in time order."""
        return f"{self.start:%Y%m%dT%H%M%S}Z-{self.end:%Y%m%dT%H%M%S}Z{suffix}"

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"
