"""The audit log export and the organization snapshot against the emulator, over real HTTP.

The emulated clock stands still (`set_speed(0)`) on a whole hour, so every entry's
`effective_at` is known: changes are made with the hook at chosen emulated times, and past
entries are written with an explicit `effective_at`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pendulum
import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_openai.emulator.organization.organization import DEFAULT_KEY_ID, DEFAULT_PROJECT_ID, OWNER_EMAIL
from airflow_openai.operators.admin import (
    OpenAIAuditLogsToStorageOperator,
    OpenAIOrganizationSnapshotOperator,
)
from airflow_openai.outage import OutageExceeded
from tests.support.dag_runner import run_dag, task_states, xcom_value
from tests.support.keys import ADMIN_KEY, PROJECT_KEY
from tests.support.scripted_server import Reply
from tests.support.task_instance import TaskInstanceStandIn

HOUR = 3600
DAY = 86400
LOGS = "/v1/organization/audit_logs"


@pytest.fixture
def admin_hook(emu) -> Iterator:
    """A hook on the emulator with both keys, for making the changes the log records."""
    from airflow_openai.client.settings import ClientSettings
    from airflow_openai.hooks.openai import OpenAIHook

    settings = ClientSettings(
        api_key=emu.api_key, admin_api_key=emu.admin_key, base_url=emu.base_url, source="emulator"
    )
    with OpenAIHook(settings=settings) as hook:
        yield hook


class Clock:
    """The emulator's clock, standing still, moved to exact emulated times."""

    def __init__(self, emu) -> None:
        self.emu = emu
        emu.set_speed(0)
        self.hour = (int(self.now()) // HOUR + 2) * HOUR
        """A whole hour just ahead of the emulated now: the start of the interval under test."""
        self.to(self.hour)

    def now(self) -> float:
        """The emulated time to the fraction of a second (`advance` answers whole seconds)."""
        return httpx.get(f"{self.emu.url}/_emulator/clock").json()["now"]

    def to(self, when: int) -> None:
        """Move to `when` (the half second keeps the whole seconds on it whatever the float rounding)."""
        now = self.now()
        assert when + 0.5 >= now, "the emulated clock never goes back"
        self.emu.advance(when + 0.5 - now)
        assert int(self.now()) == when


@pytest.fixture
def clock(emu) -> Clock:
    return Clock(emu)


def utc(seconds: int) -> datetime:
    return pendulum.from_timestamp(seconds, tz="UTC")


def context(start: int | None, end: int | None, task_id: str = "export") -> dict:
    """What `execute` reads of a run's context: its task instance and data interval."""
    values: dict = {"ti": TaskInstanceStandIn(task_id)}
    if start is not None and end is not None:
        values.update(data_interval_start=utc(start), data_interval_end=utc(end))
    return values


def lines(path: str | Path) -> list[dict]:
    text = Path(str(path).removeprefix("file://")).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def only_admin_routes(emu) -> int:
    """Every request went to `/v1/organization/*` (where the emulator takes only an admin key, and
    an admin key nowhere else): returns how many."""
    everything = emu.requests("/v1/*")
    assert emu.requests("/v1/organization/*") == everything
    return everything


# -- the audit log export -----------------------------------------------------------------------------


def test_an_interval_holds_exactly_its_changes_oldest_first_across_pages_start_in_end_out(
    emu, admin_hook, clock, tmp_path
):
    start, end = clock.hour, clock.hour + HOUR
    opening = admin_hook.create_project("Opening")  # exactly at start: in
    emu.login(effective_at=start - 1)  # a second before: out
    clock.to(start + 1800)
    midway = admin_hook.create_project("Midway")
    admin_hook.update_project(midway.id, "Midway v2")
    clock.to(end)
    admin_hook.create_project("Next hour")  # exactly at end: out
    logins = [emu.login(OWNER_EMAIL, effective_at=start + 10 + n)["id"] for n in range(120)]
    last = emu.audit_event(
        "organization.updated", payload={"changes_requested": {"title": "Org"}}, effective_at=end - 1
    )
    set_up = only_admin_routes(emu)

    op = OpenAIAuditLogsToStorageOperator(task_id="export", output_path=str(tmp_path / "audit.jsonl"))
    result = op.execute(context(start, end))

    written = lines(tmp_path / "audit.jsonl")
    assert [entry["type"] for entry in written] == [
        "project.created",
        *["login.succeeded"] * 120,
        "project.created",
        "project.updated",
        "organization.updated",
    ]
    assert written[0]["project.created"]["id"] == opening.id and written[0]["effective_at"] == start
    assert [entry["id"] for entry in written[1:121]] == logins
    assert written[121]["project.created"]["id"] == midway.id
    assert written[-1]["id"] == last["id"] and written[-1]["effective_at"] == end - 1
    assert len({entry["id"] for entry in written}) == 124
    assert result == {
        "path": str(tmp_path / "audit.jsonl"),
        "count": 124,
        "event_types": {
            "login.succeeded": 120,
            "organization.updated": 1,
            "project.created": 2,
            "project.updated": 1,
        },
        "start": utc(start).isoformat(),
        "end": utc(end).isoformat(),
    }
    assert only_admin_routes(emu) - set_up == emu.requests(LOGS, method="GET") == 2, (
        "two pages of at most 100"
    )


def test_filters_keep_only_what_they_name(emu, admin_hook, clock, tmp_path):
    start = clock.hour
    kept = admin_hook.create_project("Kept")
    other = admin_hook.create_project("Other")
    admin_hook.update_project(kept.id, "Kept v2")
    admin_hook.update_project(other.id, "Other v2")
    invite = admin_hook.create_invite("ana@example.com", "reader")
    emu.accept_invite(invite.id)
    clock.to(start + 60)
    emu.login("ana@example.com")
    emu.login("ana@example.com", succeeded=False)
    emu.login()
    end = start + HOUR
    clock.to(end)

    def export(**filters) -> list[dict]:
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}.jsonl"
        OpenAIAuditLogsToStorageOperator(task_id="export", output_path=str(path), **filters).execute(
            context(start, end)
        )
        return lines(path)

    assert [e["type"] for e in export(project_ids=[kept.id])] == ["project.created", "project.updated"]
    assert [e["type"] for e in export(resource_ids=other.id)] == ["project.created", "project.updated"]
    assert [e["type"] for e in export(event_types="['login.failed', 'invite.accepted']")] == [
        "invite.accepted",
        "login.failed",
    ]
    by_ana = export(actor_emails=["ANA@example.com"])
    assert [e["type"] for e in by_ana] == ["invite.accepted", "user.added", "login.succeeded", "login.failed"]
    ana_id = by_ana[-1]["actor"]["session"]["user"]["id"]
    assert len(export(actor_ids=[ana_id])) == 4
    assert [e["type"] for e in export(event_types=["project.updated"], project_ids=[other.id])] == [
        "project.updated"
    ]
    assert export(event_types=["login.failed"], actor_emails=[OWNER_EMAIL]) == []


def test_the_default_path_is_one_file_per_interval_and_a_rerun_overwrites_it(
    emu, admin_hook, clock, tmp_path, monkeypatch
):
    monkeypatch.setenv("AIRFLOW__OPENAI__OUTPUT_ROOT", f"file://{tmp_path}/shared/")
    start, end = clock.hour, clock.hour + HOUR
    admin_hook.create_project("First")
    op = OpenAIAuditLogsToStorageOperator(task_id="export")
    first = op.execute(context(start, end))
    stamp = f"{utc(start):%Y%m%dT%H%M%S}Z-{utc(end):%Y%m%dT%H%M%S}Z"
    assert first["path"] == f"file://{tmp_path}/shared/stand_in_dag/export/{stamp}.jsonl"
    assert first["count"] == 1

    clock.to(start + 30)
    admin_hook.create_project("Second")
    again = op.execute(context(start, end))

    assert again["path"] == first["path"] and again["count"] == 2
    assert [e["project.created"]["id"] for e in lines(again["path"])] == [
        p.id for p in admin_hook.list_projects() if p.name in ("First", "Second")
    ]
    assert [p.name for p in (tmp_path / "shared" / "stand_in_dag" / "export").iterdir()] == [f"{stamp}.jsonl"]


def test_explicit_start_and_end_serve_a_run_without_a_data_interval(emu, admin_hook, clock, tmp_path):
    start = clock.hour
    admin_hook.create_project("Inside")
    clock.to(start + 10)
    admin_hook.create_project("After")
    op = OpenAIAuditLogsToStorageOperator(
        task_id="export",
        output_path=str(tmp_path / "window.jsonl"),
        start=utc(start).isoformat(),
        end=str(start + 10),  # Unix seconds, as a template renders them
    )
    result = op.execute(context(None, None))
    assert result["count"] == 1 and result["start"] == utc(start).isoformat()
    assert lines(tmp_path / "window.jsonl")[0]["effective_at"] == start


def test_a_run_without_a_data_interval_or_bounds_fails_saying_what_it_needs_before_any_request(emu, tmp_path):
    op = OpenAIAuditLogsToStorageOperator(task_id="export", output_path=str(tmp_path / "x.jsonl"))
    with pytest.raises(AirflowFailException, match="no data interval.*pass start and end"):
        op.execute(context(None, None))
    with pytest.raises(AirflowFailException, match="trigger timetable"):
        op.execute(context(1_800_000_000, 1_800_000_000))
    with pytest.raises(AirflowFailException, match="give both start and end"):
        OpenAIAuditLogsToStorageOperator(task_id="export", start="2026-01-01").execute(context(None, None))
    assert emu.requests("*") == 0
    assert not (tmp_path / "x.jsonl").exists()


def test_without_an_admin_key_both_fail_clearly_and_send_nothing(emu, tmp_path, monkeypatch):
    conn = {"conn_type": "openai_platform", "host": emu.base_url, "password": emu.api_key}
    monkeypatch.setenv("AIRFLOW_CONN_NO_ADMIN", json.dumps(conn))
    export = OpenAIAuditLogsToStorageOperator(
        task_id="export", openai_conn_id="no_admin", output_path=str(tmp_path / "a.jsonl")
    )
    with pytest.raises(
        AirflowFailException, match="admin API key.*'no_admin'.*admin_api_key.*OPENAI_ADMIN_KEY"
    ):
        export.execute(context(1_800_000_000, 1_800_003_600))
    snapshot = OpenAIOrganizationSnapshotOperator(
        task_id="snapshot", openai_conn_id="no_admin", output_path=str(tmp_path / "s.jsonl")
    )
    with pytest.raises(AirflowFailException, match="admin API key.*Nothing was requested"):
        snapshot.execute(context(None, None, "snapshot"))
    assert emu.requests("*") == 0
    assert list(tmp_path.iterdir()) == []


def test_only_the_admin_key_goes_out_to_admin_routes_with_the_interval_and_filters_as_the_spec_names_them(
    server, tmp_path, monkeypatch
):
    conn = {
        "conn_type": "openai_platform",
        "host": server.base_url,
        "password": PROJECT_KEY,
        "extra": {"admin_api_key": ADMIN_KEY, "project": "proj_scoped", "max_retries": 0},
    }
    monkeypatch.setenv("AIRFLOW_CONN_SCRIPTED_ADMIN", json.dumps(conn))
    entry = {"id": "audit_log-1", "type": "login.succeeded", "effective_at": 1_800_000_001, "actor": {}}
    server.queue(
        "GET",
        LOGS,
        Reply(200, {"object": "list", "data": [entry], "has_more": True, "last_id": "audit_log-1"}),
        Reply(200, {"object": "list", "data": [], "has_more": False}),
    )
    op = OpenAIAuditLogsToStorageOperator(
        task_id="export",
        openai_conn_id="scripted_admin",
        output_path=str(tmp_path / "a.jsonl"),
        event_types=["login.succeeded"],
        actor_emails=["a@example.com", "b@example.com"],
    )
    assert op.execute(context(1_800_000_000, 1_800_003_600))["count"] == 1

    first, second = server.seen
    assert {seen.path for seen in server.seen} == {LOGS}
    for seen in server.seen:
        assert seen.headers["authorization"] == f"Bearer {ADMIN_KEY}"
        assert "openai-project" not in seen.headers, "an admin call is not scoped to the project"
    assert parse_qs(first.query) == {
        "limit": ["100"],
        "effective_at[gte]": ["1800000000"],
        "effective_at[lt]": ["1800003600"],
        "event_types[]": ["login.succeeded"],
        "actor_emails[]": ["a@example.com", "b@example.com"],
    }
    assert parse_qs(second.query)["after"] == ["audit_log-1"]


def test_an_outage_is_waited_out_and_the_listing_read_again_from_the_start(emu, admin_hook, clock, tmp_path):
    start = clock.hour
    for n in range(150):
        emu.login(effective_at=start - 150 + n)
    emu.fault(LOGS, status=503, count=3, retry_after=0)  # the first page fails every try the client makes
    op = OpenAIAuditLogsToStorageOperator(
        task_id="export", output_path=str(tmp_path / "a.jsonl"), outage_budget=600
    )
    result = op.execute(context(start - HOUR, start))
    assert result["count"] == 150
    assert [e["effective_at"] for e in lines(tmp_path / "a.jsonl")] == list(range(start - 150, start))
    assert emu.requests(LOGS) == 3 + 2


def test_an_outage_longer_than_its_budget_fails_and_leaves_no_file(emu, clock, tmp_path):
    emu.login(effective_at=clock.hour - 5)
    emu.fault(LOGS, status=503, count=3, retry_after=0)
    op = OpenAIAuditLogsToStorageOperator(
        task_id="export", output_path=str(tmp_path / "a.jsonl"), outage_budget=0
    )
    with pytest.raises(OutageExceeded, match="Reading the audit log gave up"):
        op.execute(context(clock.hour - HOUR, clock.hour))
    assert not (tmp_path / "a.jsonl").exists()


def test_a_catch_up_writes_one_file_per_hour_without_gap_or_overlap(
    airflow_db, emu, clock, tmp_path, monkeypatch
):
    from airflow.sdk import DAG
    from airflow.timetables.interval import CronDataIntervalTimetable

    monkeypatch.setenv("AIRFLOW__OPENAI__OUTPUT_ROOT", str(tmp_path / "root"))
    first = clock.hour
    clock.to(first + 3 * HOUR)
    seeded = emu.seed_organization_activity(hours=3, events_per_hour=40, seed=7)
    assert (seeded["since"], seeded["until"]) == (first, first + 3 * HOUR)
    for edge in (first, first + HOUR, first + 2 * HOUR, first + 3 * HOUR - 1):
        emu.login(effective_at=edge)  # an entry on each boundary, and one at the very last second
    everything = [e.id for e in _all_entries(emu)]

    with DAG(
        f"test_audit_catch_up_{first}",
        schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
        start_date=utc(first),
        catchup=True,
        params={"types": []},
    ) as dag:
        OpenAIAuditLogsToStorageOperator(task_id="export", event_types="{{ params.types }}")
    results = []
    for hour in range(1, 4):  # the runs whose intervals end at each hour, in order
        dag_run = run_dag(dag, logical_date=utc(first + hour * HOUR))  # interval: the hour before it
        assert task_states(dag_run) == {"export": "success"}
        results.append(xcom_value(dag_run, "export"))

    folder = tmp_path / "root" / dag.dag_id / "export"
    assert sorted(p.name for p in folder.iterdir()) == [Path(r["path"]).name for r in results]
    exported = []
    for n, result in enumerate(results):
        written = lines(result["path"])
        low, high = first + n * HOUR, first + (n + 1) * HOUR
        assert all(low <= e["effective_at"] < high for e in written)
        assert written[0]["effective_at"] == low, "the entry exactly on the boundary opens the later hour"
        assert result["count"] == len(written) == 41 + (n == 2)
        assert (result["start"], result["end"]) == (utc(low).isoformat(), utc(high).isoformat())
        exported += [e["id"] for e in written]
    assert exported == everything[::-1], "every entry once, in time order, hour after hour"


def _all_entries(emu) -> list:
    from airflow_openai.client.settings import ClientSettings
    from airflow_openai.hooks.openai import OpenAIHook

    settings = ClientSettings(admin_api_key=emu.admin_key, base_url=emu.base_url, source="emulator")
    with OpenAIHook(settings=settings) as hook:
        return list(hook.list_audit_logs(limit=100))


# -- the organization snapshot ------------------------------------------------------------------------


def test_the_snapshot_lists_everyone_and_everything_and_the_keys_unused_for_n_days(
    emu, admin_hook, tmp_path, capsys
):
    emu.set_speed(0)
    emulated_ahead = emu.advance(0) - time.time()
    assert emulated_ahead < 20 * DAY, "the default key (30 emulated days old) must be old in real time"
    ops = admin_hook.create_project("Ops")
    gone = admin_hook.create_project("Gone")
    account = admin_hook.create_project_service_account(ops.id, "deployer")
    admin_hook.create_project_service_account(gone.id, "old bot")
    admin_hook.archive_project(gone.id)
    invite = admin_hook.create_invite("ana@example.com", "reader")
    ana = emu.accept_invite(invite.id)["user"]
    admin_hook.create_project_user(ops.id, ana["id"], "member")
    admin_hook.create_invite("bo@example.com", "owner")
    secret = account.api_key.value

    op = OpenAIOrganizationSnapshotOperator(
        task_id="snapshot", output_path=str(tmp_path / "org.jsonl"), unused_key_days="5"
    )
    result = op.execute(context(None, None, "snapshot"))
    logged = capsys.readouterr().out

    records = lines(tmp_path / "org.jsonl")
    assert [(r["kind"], r.get("project_id")) for r in records] == [
        ("user", None),
        ("user", None),
        ("invite", None),
        ("invite", None),
        ("project", None),
        ("project", None),
        ("project", None),
        ("project_user", DEFAULT_PROJECT_ID),
        ("api_key", DEFAULT_PROJECT_ID),
        ("project_user", ops.id),
        ("service_account", ops.id),
        ("api_key", ops.id),
    ], "the organization, then each active project's members, accounts and keys; the archived one's not"
    by_kind: dict[str, list[dict]] = {}
    for record in records:
        by_kind.setdefault(record["kind"], []).append(record)
    assert [u["email"] for u in by_kind["user"]] == [OWNER_EMAIL, "ana@example.com"]
    assert [(i["email"], i["status"]) for i in by_kind["invite"]] == [
        ("ana@example.com", "accepted"),
        ("bo@example.com", "pending"),
    ]
    assert [(p["name"], p["status"]) for p in by_kind["project"]] == [
        ("Default project", "active"),
        ("Ops", "active"),
        ("Gone", "archived"),
    ]
    assert [(m["project_name"], m["email"], m["role"]) for m in by_kind["project_user"]] == [
        ("Default project", OWNER_EMAIL, "owner"),
        ("Ops", "ana@example.com", "member"),
    ]
    assert [(a["project_id"], a["name"]) for a in by_kind["service_account"]] == [(ops.id, "deployer")]
    keys = {k["id"]: k for k in by_kind["api_key"]}
    assert set(keys) == {DEFAULT_KEY_ID, account.api_key.id}, "an archived project's keys are not read"
    assert all(k["last_used_at"] is None and k["redacted_value"] for k in keys.values())
    assert keys[account.api_key.id]["owner"]["type"] == "service_account"
    assert keys[account.api_key.id]["project_name"] == "Ops"

    assert result["counts"] == {
        "user": 2,
        "invite": 2,
        "project": 3,
        "project_user": 2,
        "service_account": 1,
        "api_key": 2,
    }
    assert result["path"] == str(tmp_path / "org.jsonl") and result["unused_key_days"] == 5
    (unused,) = result["unused_keys"]
    assert unused["id"] == DEFAULT_KEY_ID and unused["last_used_at"] is None
    assert unused["project"] == {"id": DEFAULT_PROJECT_ID, "name": "Default project"}
    assert unused["owner"]["type"] == "user" and unused["owner"]["email"] == OWNER_EMAIL
    assert datetime.fromisoformat(result["taken_at"]).tzinfo == timezone.utc

    everything = (tmp_path / "org.jsonl").read_text() + json.dumps(result) + logged
    assert secret not in everything and emu.admin_key not in everything and emu.api_key not in everything
    assert "1 of 2 API keys unused for 5 days" in logged
    assert only_admin_routes(emu) > 0


def test_without_unused_key_days_no_key_is_judged_and_the_default_path_is_per_run(emu, tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW__OPENAI__OUTPUT_ROOT", str(tmp_path))
    result = OpenAIOrganizationSnapshotOperator(task_id="snapshot").execute(context(None, None, "snapshot"))
    assert result["path"] == f"{tmp_path}/stand_in_dag/manual__1/snapshot.jsonl"
    assert result["unused_key_days"] is None and result["unused_keys"] is None
    assert result["counts"]["api_key"] == 1 and len(lines(result["path"])) == sum(result["counts"].values())


@pytest.mark.parametrize("bad", ["soon", "-1", "2.5"])
def test_a_bad_unused_key_days_fails_before_any_request(emu, bad, tmp_path):
    op = OpenAIOrganizationSnapshotOperator(task_id="s", unused_key_days=bad, output_path=str(tmp_path / "s"))
    with pytest.raises(AirflowFailException, match="whole number of days"):
        op.execute(context(None, None, "s"))
    assert emu.requests("*") == 0
