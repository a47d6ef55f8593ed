"""Reading an interval of the audit log: the query, filters as templates render them, time order,
repeats and strays left out, counts by type, and the JSONL written."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import pytest

from airflow_openai.admin import AuditLogFilters, Interval, read_interval, write_jsonl
from airflow_openai.admin.audit_export import as_list, audit_log_query
from airflow_openai.models import AuditLog

START = datetime(2026, 1, 1, 10, tzinfo=timezone.utc)
END = datetime(2026, 1, 1, 11, tzinfo=timezone.utc)
T0 = int(START.timestamp())
INTERVAL = Interval(START, END)


def entry(n: int, at: int, kind: str = "login.succeeded", **extra) -> dict:
    return {
        "id": f"audit_log-{n}",
        "type": kind,
        "effective_at": at,
        "actor": {"type": "session", "session": {"user": {"id": "user-1", "email": "a@example.com"}}},
        **extra,
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ()),
        ("", ()),
        ("None", ()),
        ("proj_a", ("proj_a",)),
        (["proj_a", "proj_b", "proj_a"], ("proj_a", "proj_b")),
        (("proj_a",), ("proj_a",)),
        ("['proj_a', 'proj_b']", ("proj_a", "proj_b")),
        ('["proj_a", "proj_b"]', ("proj_a", "proj_b")),
        ("[]", ()),
    ],
)
def test_filter_values_as_given_or_rendered(value, expected):
    assert as_list(value, "project_ids") == expected


@pytest.mark.parametrize("bad", ["[proj_a", 7, {"a": 1}])
def test_a_filter_that_is_no_list_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="project_ids must be a list"):
        as_list(bad, "project_ids")


def test_the_query_holds_the_interval_and_only_the_filters_that_filter():
    filters = AuditLogFilters.of(project_ids="proj_a", event_types=["project.created"], actor_ids=None)
    assert audit_log_query(INTERVAL, filters) == {
        "limit": 100,
        "effective_at": {"gte": T0, "lt": T0 + 3600},
        "project_ids": ["proj_a"],
        "event_types": ["project.created"],
    }
    assert audit_log_query(INTERVAL) == {"limit": 100, "effective_at": {"gte": T0, "lt": T0 + 3600}}
    assert filters.describe() == "project_ids=['proj_a'], event_types=['project.created']"
    assert AuditLogFilters().describe() == "no filters"


def test_an_unknown_filter_is_refused():
    with pytest.raises(TypeError, match="unknown audit log filters"):
        AuditLogFilters.of(project_id="proj_a")


def test_entries_come_out_oldest_first_with_same_second_entries_in_written_order():
    newest_first = [entry(4, T0 + 20), entry(3, T0 + 10), entry(2, T0 + 10), entry(1, T0)]
    export = read_interval(iter(newest_first), INTERVAL)
    assert [e["id"] for e in export.entries] == ["audit_log-1", "audit_log-2", "audit_log-3", "audit_log-4"]
    assert (export.count, export.read, export.pages) == (4, 4, 1)


def test_repeats_and_entries_outside_the_interval_are_left_out_and_counted():
    listing = [entry(3, T0 + 3600), entry(2, T0 + 5), entry(2, T0 + 5), entry(1, T0), entry(0, T0 - 1)]
    export = read_interval(listing, INTERVAL)
    assert [e["id"] for e in export.entries] == ["audit_log-1", "audit_log-2"]
    assert (export.read, export.repeated, export.outside) == (5, 1, 2)


def test_models_are_written_as_the_api_sent_them_extra_fields_and_all():
    raw = entry(1, T0, "project.created", **{"project.created": {"id": "proj_a", "data": {"name": "A"}}})
    export = read_interval([AuditLog.model_validate(raw)], INTERVAL)
    assert export.entries == [raw], "no field added (no null project) and none lost (the payload)"


def test_progress_is_told_after_each_full_page_and_types_are_counted():
    listing = [
        entry(n, T0 + 3599 - n, "login.failed" if n % 3 == 0 else "login.succeeded") for n in range(250)
    ]
    told: list[int] = []
    export = read_interval(listing, INTERVAL, on_page=told.append)
    assert told == [100, 200]
    assert export.pages == 3 and export.count == 250
    assert export.event_types() == {"login.failed": 84, "login.succeeded": 166}
    assert read_interval([], INTERVAL).pages == 1


def test_jsonl_is_one_compact_utf8_object_a_line():
    sink = io.BytesIO()
    records = [{"id": "a", "name": "Zoë"}, {"id": "b", "n": [1, 2]}]
    assert write_jsonl(records, sink) == 2
    text = sink.getvalue().decode("utf-8")
    assert text == '{"id":"a","name":"Zoë"}\n{"id":"b","n":[1,2]}\n'
    assert [json.loads(line) for line in text.splitlines()] == records
