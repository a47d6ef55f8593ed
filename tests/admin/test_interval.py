"""Intervals: explicit bounds or the run's data interval, start included and end left out, in whole seconds."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pendulum
import pytest

from airflow_openai.admin.interval import Interval, IntervalError, to_utc

UTC = timezone.utc
TEN = datetime(2026, 1, 1, 10, tzinfo=UTC)
ELEVEN = datetime(2026, 1, 1, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        TEN,
        pendulum.datetime(2026, 1, 1, 10, tz="UTC"),
        pendulum.datetime(2026, 1, 1, 11, tz="Europe/Paris"),
        datetime(2026, 1, 1, 10),  # naive: UTC
        int(TEN.timestamp()),
        float(TEN.timestamp()),
        str(int(TEN.timestamp())),
        "2026-01-01T10:00:00+00:00",
        "2026-01-01 10:00:00+00:00",
        "2026-01-01T10:00:00Z",
        "2026-01-01T11:00:00+01:00",
        str(pendulum.datetime(2026, 1, 1, 10, tz="UTC")),
    ],
)
def test_every_way_a_time_arrives_means_the_same_moment(value):
    moment = to_utc(value)
    assert moment == TEN and moment.tzinfo == UTC


@pytest.mark.parametrize("blank", [None, "", "  ", "None"])
def test_blank_is_not_given(blank):
    assert to_utc(blank) is None


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", True, [1], "12:00"])
def test_what_is_no_time_is_refused_by_name(bad):
    with pytest.raises(IntervalError, match="start must be"):
        to_utc(bad, "start")


def test_explicit_bounds_win_over_the_data_interval():
    interval = Interval.resolve(
        "2026-01-02T00:00:00Z",
        "2026-01-02T06:00:00Z",
        data_interval_start=TEN,
        data_interval_end=ELEVEN,
    )
    assert interval.to_dict() == {"start": "2026-01-02T00:00:00+00:00", "end": "2026-01-02T06:00:00+00:00"}


def test_the_data_interval_is_used_when_no_bounds_are_given():
    interval = Interval.resolve("", "None", data_interval_start=TEN, data_interval_end=ELEVEN)
    assert (interval.start, interval.end) == (TEN, ELEVEN)
    assert interval.effective_at() == {"gte": int(TEN.timestamp()), "lt": int(ELEVEN.timestamp())}
    assert interval.file_name() == "20260101T100000Z-20260101T110000Z.jsonl"
    assert str(interval) == "[2026-01-01T10:00:00+00:00, 2026-01-01T11:00:00+00:00)"


def test_start_is_in_and_end_is_out():
    interval = Interval(TEN, ELEVEN)
    start, end = int(TEN.timestamp()), int(ELEVEN.timestamp())
    assert interval.contains(start) and interval.contains(end - 1)
    assert not interval.contains(start - 1) and not interval.contains(end)


def test_successive_intervals_meet_without_gap_or_overlap_even_off_the_second():
    cuts = [TEN + timedelta(seconds=s) for s in (0, 0.25, 1.5, 7, 3600)]
    bounds = [Interval(a, b).effective_at() for a, b in zip(cuts, cuts[1:], strict=False)]
    for before, after in zip(bounds, bounds[1:], strict=False):
        assert before["lt"] == after["gte"]
    covered = [s for b in bounds for s in range(b["gte"], b["lt"])]
    assert covered == list(range(int(TEN.timestamp()), int(TEN.timestamp()) + 3600))


def test_a_run_without_a_logical_date_is_told_what_to_give():
    with pytest.raises(IntervalError, match="no data interval.*pass start and end"):
        Interval.resolve()


def test_half_an_interval_is_refused():
    with pytest.raises(IntervalError, match="end is missing"):
        Interval.resolve(start=TEN, data_interval_start=TEN, data_interval_end=ELEVEN)
    with pytest.raises(IntervalError, match="start is missing"):
        Interval.resolve(end=ELEVEN)


def test_an_empty_data_interval_names_the_trigger_timetable():
    with pytest.raises(IntervalError, match="trigger timetable.*CronDataIntervalTimetable"):
        Interval.resolve(data_interval_start=TEN, data_interval_end=TEN)


def test_an_interval_that_ends_before_it_starts_is_refused():
    with pytest.raises(IntervalError, match="no later than it starts"):
        Interval.resolve(ELEVEN, TEN)
