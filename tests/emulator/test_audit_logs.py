"""`GET /v1/organization/audit_logs` on the emulator: newest first, every filter alone and combined, cursors
both ways without gaps or repeats, its refusals, and the control plane that writes entries (logins, any event,
a seeded past)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import httpx
import pytest

from airflow_openai.emulator.organization.audit_log import ADMIN_KEY_ID, EVENT_TYPES
from airflow_openai.emulator.organization.organization import DEFAULT_PROJECT_ID, OWNER_EMAIL, OWNER_ID

LOGS = "/organization/audit_logs"


@pytest.fixture
def admin(emu) -> Iterator[httpx.Client]:
    emu.set_speed(0)
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.admin_key}"}) as client:
        yield client


@pytest.fixture
def control(emu) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{emu.url}/_emulator/organization") as client:
        yield client


def ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def refused(response: httpx.Response, status: int, param: str | None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["param"] == param
    return error


def read_all(admin: httpx.Client, limit: int, **params) -> list[dict]:
    """Every entry the filters keep, page by page with `after`."""
    entries: list[dict] = []
    after = None
    while True:
        query = {**params, "limit": limit, **({"after": after} if after else {})}
        listed = ok(admin.get(LOGS, params=query))
        assert len(listed["data"]) <= limit
        entries += listed["data"]
        if not listed["has_more"]:
            return entries
        assert listed["last_id"] == listed["data"][-1]["id"]
        after = listed["last_id"]


@pytest.fixture
def history(admin, emu) -> dict:
    """A known log, one second apart: projects made and changed, an invite accepted, logins."""
    emu.advance(10)
    first = ok(admin.post("/organization/projects", json={"name": "First"}))
    emu.advance(10)
    second = ok(admin.post("/organization/projects", json={"name": "Second"}))
    emu.advance(10)
    ok(admin.post(f"/organization/projects/{first['id']}", json={"name": "First v2"}))
    emu.advance(10)
    account = ok(admin.post(f"/organization/projects/{first['id']}/service_accounts", json={"name": "bot"}))
    emu.advance(10)
    invite = ok(admin.post("/organization/invites", json={"email": "Ana@Example.com", "role": "reader"}))
    emu.advance(10)
    ana = emu.accept_invite(invite["id"])["user"]
    emu.advance(10)
    emu.login("ana@example.com")
    emu.advance(10)
    emu.login("ana@example.com", succeeded=False)
    emu.advance(10)
    emu.login()
    emu.advance(10)
    ok(
        admin.post(
            f"/organization/projects/{second['id']}/users", json={"user_id": ana["id"], "role": "owner"}
        )
    )
    full = read_all(admin, 100)
    assert [entry["type"] for entry in reversed(full)] == [
        "project.created",
        "project.created",
        "project.updated",
        "service_account.created",
        "invite.sent",
        "invite.accepted",
        "user.added",
        "login.succeeded",
        "login.failed",
        "login.succeeded",
        "user.added",
    ]
    return {"full": full, "first": first, "second": second, "account": account, "ana": ana}


def expect(full: list[dict], keep: Callable[[dict], bool]) -> list[str]:
    return [entry["id"] for entry in full if keep(entry)]


def ids(admin: httpx.Client, **params) -> list[str]:
    return [entry["id"] for entry in read_all(admin, 3, **params)]


def actor_ids(entry: dict) -> set[str]:
    actor = entry["actor"]
    if actor["type"] == "session":
        return {actor["session"]["user"]["id"]}
    return {actor["api_key"]["id"], actor["api_key"]["user"]["id"]}


def test_entries_come_newest_first_with_the_emulator_clock(history, emu):
    full = history["full"]
    times = [entry["effective_at"] for entry in full]
    assert times == sorted(times, reverse=True) and len(set(times)) == len(full) - 1  # two share a second
    assert times[0] == int(emu.advance(0))
    failed = next(entry for entry in full if entry["type"] == "login.failed")
    assert failed["login.failed"] == {
        "error_code": "invalid_credentials",
        "error_message": "Invalid email or password.",
    }
    assert failed["actor"]["session"]["user"] == {"id": history["ana"]["id"], "email": "Ana@Example.com"}


def test_effective_at_bounds(admin, history):
    full = history["full"]
    middle = full[5]["effective_at"]
    for bound, keep in (
        ("gt", lambda e: e["effective_at"] > middle),
        ("gte", lambda e: e["effective_at"] >= middle),
        ("lt", lambda e: e["effective_at"] < middle),
        ("lte", lambda e: e["effective_at"] <= middle),
    ):
        wanted = expect(full, keep)
        assert 0 < len(wanted) < len(full)
        assert ids(admin, **{f"effective_at[{bound}]": middle}) == wanted
    window = {"effective_at[gt]": full[-1]["effective_at"], "effective_at[lte]": middle}
    assert ids(admin, **window) == expect(
        full, lambda e: full[-1]["effective_at"] < e["effective_at"] <= middle
    )
    assert ids(admin, **{"effective_at[gt]": middle, "effective_at[lt]": middle}) == []


def test_project_ids(admin, history):
    full, first, second = history["full"], history["first"]["id"], history["second"]["id"]
    only_first = expect(full, lambda e: e.get("project", {}).get("id") == first)
    assert len(only_first) == 3  # created, renamed, its service account
    assert ids(admin, **{"project_ids[]": first}) == only_first
    both = expect(full, lambda e: e.get("project", {}).get("id") in (first, second))
    assert ids(admin, **{"project_ids[]": [first, second]}) == both and len(both) == 5
    assert ids(admin, **{"project_ids[]": DEFAULT_PROJECT_ID}) == []


def test_event_types(admin, history):
    full = history["full"]
    assert ids(admin, **{"event_types[]": "user.added"}) == expect(full, lambda e: e["type"] == "user.added")
    wanted = {"project.created", "login.failed"}
    assert ids(admin, **{"event_types[]": sorted(wanted)}) == expect(full, lambda e: e["type"] in wanted)
    assert ids(admin, **{"event_types[]": "project.archived"}) == []


def test_actor_ids(admin, history):
    full, ana = history["full"], history["ana"]["id"]
    by_key = expect(full, lambda e: ADMIN_KEY_ID in actor_ids(e))
    assert ids(admin, **{"actor_ids[]": ADMIN_KEY_ID}) == by_key and len(by_key) == 6
    by_owner = expect(full, lambda e: OWNER_ID in actor_ids(e))
    assert ids(admin, **{"actor_ids[]": OWNER_ID}) == by_owner and len(by_owner) == 7  # and a login
    by_ana = expect(full, lambda e: ana in actor_ids(e))
    assert ids(admin, **{"actor_ids[]": ana}) == by_ana and len(by_ana) == 4
    assert ids(admin, **{"actor_ids[]": [ana, OWNER_ID]}) == [e["id"] for e in full]


def test_actor_emails(admin, history):
    full = history["full"]
    ana = expect(
        full,
        lambda e: e["actor"]["type"] == "session" and e["actor"]["session"]["user"]["email"] != OWNER_EMAIL,
    )
    assert (
        ids(admin, **{"actor_emails[]": "ana@example.com"}) == ana
    )  # as the service, emails match in any case
    owner = expect(full, lambda e: e["id"] not in ana)
    assert ids(admin, **{"actor_emails[]": OWNER_EMAIL}) == owner
    assert ids(admin, **{"actor_emails[]": "nobody@example.com"}) == []


def test_resource_ids(admin, history):
    full, first, account = history["full"], history["first"]["id"], history["account"]["id"]
    assert ids(admin, **{"resource_ids[]": first}) == expect(
        full, lambda e: e["type"] in ("project.created", "project.updated") and e["project"]["id"] == first
    )
    (created,) = read_all(admin, 10, **{"resource_ids[]": account})
    assert created["type"] == "service_account.created"
    assert ids(admin, **{"resource_ids[]": history["ana"]["id"]}) == expect(
        full, lambda e: e["type"] == "user.added"
    )


def test_filters_combine(admin, history):
    full, first, second = history["full"], history["first"]["id"], history["second"]["id"]
    since = full[-1]["effective_at"]
    params = {
        "event_types[]": ["project.created", "project.updated", "user.added"],
        "project_ids[]": [first, second],
        "actor_ids[]": ADMIN_KEY_ID,
        "effective_at[gt]": since,
    }
    assert ids(admin, **params) == expect(
        full,
        lambda e: (
            e["type"] in params["event_types[]"]
            and e.get("project", {}).get("id") in (first, second)
            and ADMIN_KEY_ID in actor_ids(e)
            and e["effective_at"] > since
        ),
    )
    assert len(ids(admin, **params)) == 3  # the second project's creation, the rename, ana's addition
    assert ids(admin, **{**params, "actor_emails[]": "ana@example.com"}) == []


def test_a_cursor_may_name_an_entry_the_filters_leave_out(admin, history):
    full = history["full"]
    login = next(entry for entry in full if entry["type"] == "login.failed")
    listed = ok(admin.get(LOGS, params={"after": login["id"], "event_types[]": "project.created"}))
    assert [e["id"] for e in listed["data"]] == expect(full, lambda e: e["type"] == "project.created")


@pytest.fixture
def busy_log(admin, emu) -> list[dict]:
    """250 entries over the last 25 hours."""
    assert emu.seed_organization_activity(hours=25, events_per_hour=10)["written"] == 250
    return read_all(admin, 100)


@pytest.mark.parametrize("limit", [20, 100, 7])
def test_paging_forward_reads_every_entry_once_in_order(admin, busy_log, limit):
    read = read_all(admin, limit)
    assert [entry["id"] for entry in read] == [entry["id"] for entry in busy_log]
    assert len({entry["id"] for entry in read}) == 250


def test_paging_backward_with_before(admin, busy_log):
    last_page = ok(admin.get(LOGS, params={"limit": 20, "after": busy_log[-21]["id"]}))
    assert [e["id"] for e in last_page["data"]] == [e["id"] for e in busy_log[-20:]]
    pages = [last_page["data"]]
    while True:
        listed = ok(admin.get(LOGS, params={"limit": 20, "before": pages[-1][0]["id"]}))
        pages.append(listed["data"])
        if not listed["has_more"]:
            break
    read = [entry for chunk in reversed(pages) for entry in chunk]
    assert [e["id"] for e in read] == [e["id"] for e in busy_log]


def test_the_default_page_is_twenty(admin, busy_log):
    listed = ok(admin.get(LOGS))
    assert len(listed["data"]) == 20 and listed["has_more"] is True
    assert listed["first_id"] == busy_log[0]["id"] and listed["last_id"] == busy_log[19]["id"]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"after": "audit_log-nope"}, "after"),
        ({"before": "audit_log-nope"}, "before"),
        ({"effective_at[gt]": "yesterday"}, "effective_at[gt]"),
        ({"effective_at[lte]": 1.5}, "effective_at[lte]"),
        ({"effective_at[between]": 1}, "effective_at[between]"),
        ({"effective_at": 1}, "effective_at"),
        ({"event_types[]": "project.deleted"}, "event_types[]"),
        ({"event_types[]": ["login.succeeded", "nonsense"]}, "event_types[]"),
    ],
)
def test_bad_queries_are_400s(admin, params, param):
    refused(admin.get(LOGS, params=params), 400, param)


def test_every_event_type_of_the_spec_can_be_written_and_filtered(admin, emu):
    for event_type in EVENT_TYPES:
        emu.audit_event(event_type)
    for event_type in EVENT_TYPES:
        (entry,) = read_all(admin, 5, **{"event_types[]": event_type})
        assert entry["type"] == event_type
        session = event_type.startswith(("login.", "logout."))
        assert entry["actor"]["type"] == ("session" if session else "api_key")


def test_the_control_plane_writes_an_entry_as_told(admin, emu):
    project = ok(admin.post("/organization/projects", json={"name": "Ops"}))
    now = int(emu.advance(0))
    written = emu.audit_event(
        "api_key.updated",
        email=OWNER_EMAIL,
        project_id=project["id"],
        payload={"id": "key_abc", "changes_requested": {"scopes": ["api.model.request"]}},
        effective_at=now - 3600,
    )
    assert written["effective_at"] == now - 3600 and written["project"] == {
        "id": project["id"],
        "name": "Ops",
    }
    assert written["actor"]["type"] == "session" and written["actor"]["session"]["user"]["id"] == OWNER_ID
    assert written["api_key.updated"] == {
        "id": "key_abc",
        "changes_requested": {"scopes": ["api.model.request"]},
    }
    full = read_all(admin, 100)
    assert [e["id"] for e in full] == [full[0]["id"], written["id"]]  # placed by when it happened
    assert ids(admin, **{"resource_ids[]": "key_abc"}) == [written["id"]]
    logout = emu.audit_event("logout.failed", payload={"error_code": "x", "error_message": "y"})
    assert logout["logout.failed"] == {"error_code": "x", "error_message": "y"}
    assert logout["actor"]["session"]["user"]["id"] == OWNER_ID and logout["effective_at"] == now


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"type": "project.deleted"}, 400, "type"),
        ({}, 400, "type"),
        ({"type": "login.succeeded", "email": "nobody@example.com"}, 404, "id"),
        ({"type": "project.updated", "project_id": "proj_nope"}, 404, "id"),
        ({"type": "login.succeeded", "effective_at": 10**12}, 400, "effective_at"),
        ({"type": "login.succeeded", "effective_at": -1}, 400, "effective_at"),
        ({"type": "login.succeeded", "effective_at": "now"}, 400, "effective_at"),
        ({"type": "login.failed", "payload": ["x"]}, 400, "payload"),
        ({"type": "login.failed", "actor": "me"}, 400, "actor"),
    ],
)
def test_the_control_plane_refuses_bad_events(admin, control, body, status, param):
    refused(control.post("/audit_logs", json=body), status, param)
    assert read_all(admin, 10) == []


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"hours": 0}, "hours"),
        ({"hours": 24 * 91}, "hours"),
        ({"events_per_hour": 0}, "events_per_hour"),
        ({"hours": 2000, "events_per_hour": 100}, "events_per_hour"),
        ({"hours": "24"}, "hours"),
        ({"seed": "x"}, "seed"),
        ({"minutes": 5}, "minutes"),
    ],
)
def test_seeding_refuses_bad_values(admin, control, body, param):
    refused(control.post("/activity", json=body), 400, param)
    assert read_all(admin, 10) == []


def test_a_seeded_day_is_spread_over_past_hours_by_the_organizations_users(admin, emu):
    invite = ok(admin.post("/organization/invites", json={"email": "bo@example.com", "role": "reader"}))
    bo = emu.accept_invite(invite["id"])["user"]
    before = len(read_all(admin, 100))
    seeded = emu.seed_organization_activity(hours=24, events_per_hour=6)
    now = int(emu.advance(0))
    assert seeded == {"written": 144, "since": now - 86400, "until": now}
    past = read_all(admin, 100, **{"effective_at[lt]": now})
    assert len(past) == 144 and len(read_all(admin, 100)) == before + 144
    per_hour = Counter((entry["effective_at"] - seeded["since"]) // 3600 for entry in past)
    assert per_hour == dict.fromkeys(range(24), 6)
    kinds = Counter(entry["type"] for entry in past)
    assert {"login.succeeded", "logout.succeeded", "login.failed", "api_key.created"} <= set(kinds)
    assert kinds["login.succeeded"] == max(kinds.values()) and set(kinds) <= set(EVENT_TYPES)
    emails = {_email(entry) for entry in past}
    assert emails == {OWNER_EMAIL, "bo@example.com"}
    assert all(e["project"]["id"] == DEFAULT_PROJECT_ID for e in past if e["type"].startswith("api_key."))
    assert ids(admin, **{"actor_ids[]": bo["id"], "effective_at[lt]": now}) == [
        e["id"] for e in past if _email(e) == "bo@example.com"
    ]


def test_seeding_is_repeatable_for_a_seed(admin, emu):
    def seeded(seed: int) -> list[tuple[str, int]]:
        emu.reset()
        emu.set_speed(0)
        start = int(emu.advance(0))
        emu.seed_organization_activity(hours=3, events_per_hour=20, seed=seed)
        return [(e["type"], e["effective_at"] - start) for e in read_all(admin, 100)]

    assert seeded(7) == seeded(7) != seeded(8)


def test_a_large_seed_is_quick_to_write_and_read(admin, emu):
    assert emu.seed_organization_activity(hours=24 * 7, events_per_hour=60)["written"] == 10080
    listed = ok(admin.get(LOGS, params={"limit": 100, "event_types[]": "login.failed"}))
    assert len(listed["data"]) == 100 and listed["has_more"] is True


def _email(entry: dict) -> str:
    actor = entry["actor"]
    return (actor.get("session") or actor.get("api_key"))["user"]["email"]
