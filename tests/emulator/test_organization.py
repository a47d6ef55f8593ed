"""The emulated organization through `/v1/organization/*`: its owner and default project, users and
invites, projects and what they hold (users, service accounts, API keys), the key gate, and the one
audit log entry each change writes."""

from __future__ import annotations

import random
from collections.abc import Iterator

import httpx
import pytest

from airflow_openai.emulator.organization.audit_log import ADMIN_KEY_ID
from airflow_openai.emulator.organization.organization import (
    DEFAULT_KEY_ID,
    DEFAULT_PROJECT_ID,
    OWNER_EMAIL,
    OWNER_ID,
)

ADMIN_ACTOR = {
    "type": "api_key",
    "api_key": {"id": ADMIN_KEY_ID, "type": "user", "user": {"id": OWNER_ID, "email": OWNER_EMAIL}},
}


@pytest.fixture
def admin(emu) -> Iterator[httpx.Client]:
    """An admin-key client; the clock stands still so every timestamp is known."""
    emu.set_speed(0)
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.admin_key}"}) as client:
        yield client


def ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def refused(response: httpx.Response, status: int, param: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    if param is not None:
        assert error["param"] == param
    return error


def log(admin: httpx.Client) -> list[dict]:
    """The whole audit log, newest first."""
    return ok(admin.get("/organization/audit_logs", params={"limit": 100}))["data"]


class Audit:
    """Checks that an action wrote exactly the expected entries."""

    def __init__(self, admin: httpx.Client) -> None:
        self.admin = admin
        self.seen = len(log(admin))

    def new(self) -> list[dict]:
        """Entries written since the last call, oldest first."""
        entries = log(self.admin)
        fresh = entries[: len(entries) - self.seen]
        self.seen = len(entries)
        return list(reversed(fresh))

    def one(self, event_type: str, payload: dict | None, *, project: dict | None = None, actor=None) -> dict:
        (entry,) = self.new()
        assert entry["type"] == event_type
        assert entry["actor"] == (actor or ADMIN_ACTOR)
        assert entry.get(event_type) == payload
        assert entry.get("project") == project
        assert entry["id"].startswith("audit_log-")
        return entry


@pytest.fixture
def audit(admin) -> Audit:
    return Audit(admin)


def new_project(admin: httpx.Client, name: str = "Data pipelines") -> dict:
    return ok(admin.post("/organization/projects", json={"name": name}))


def new_user(admin: httpx.Client, emu, email: str = "ana@example.com", role: str = "reader") -> dict:
    invite = ok(admin.post("/organization/invites", json={"email": email, "role": role}))
    return emu.accept_invite(invite["id"])["user"]


# -- the organization before any change --------------------------------------------------------------


def test_the_organization_starts_with_its_owner_and_a_default_project(admin, emu):
    users = ok(admin.get("/organization/users"))
    (owner,) = users["data"]
    assert owner["id"] == OWNER_ID and owner["email"] == OWNER_EMAIL and owner["role"] == "owner"
    assert owner["object"] == "organization.user" and owner["name"]
    assert users["first_id"] == users["last_id"] == OWNER_ID and users["has_more"] is False
    assert ok(admin.get(f"/organization/users/{OWNER_ID}")) == owner

    (project,) = ok(admin.get("/organization/projects"))["data"]
    assert project == {
        "id": DEFAULT_PROJECT_ID,
        "object": "organization.project",
        "name": "Default project",
        "created_at": owner["added_at"],
        "archived_at": None,
        "status": "active",
    }
    assert owner["added_at"] < emu.advance(0) - 86400  # it was there before today
    (member,) = ok(admin.get(f"/organization/projects/{DEFAULT_PROJECT_ID}/users"))["data"]
    assert member["id"] == OWNER_ID and member["role"] == "owner" and member["email"] == OWNER_EMAIL
    (key,) = ok(admin.get(f"/organization/projects/{DEFAULT_PROJECT_ID}/api_keys"))["data"]
    assert key["id"] == DEFAULT_KEY_ID and key["owner"] == {"type": "user", "user": member}
    assert key["redacted_value"] == f"{emu.api_key[:6]}...{emu.api_key[-4:]}"
    assert log(admin) == []  # the log begins after the organization was made


def test_a_reset_founds_the_organization_again(admin, emu):
    new_project(admin)
    emu.reset()
    assert [p["id"] for p in ok(admin.get("/organization/projects"))["data"]] == [DEFAULT_PROJECT_ID]
    assert log(admin) == []


# -- the key gate -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/organization/users", "/organization/projects", "/organization/audit_logs", "/organization/invites"],
)
def test_a_project_key_is_refused_on_every_organization_route(emu, path):
    answer = httpx.get(f"{emu.base_url}{path}", headers={"Authorization": f"Bearer {emu.api_key}"})
    assert refused(answer, 403)["code"] == "insufficient_permissions"
    created = httpx.post(
        f"{emu.base_url}/organization/projects",
        json={"name": "sneaky"},
        headers={"Authorization": f"Bearer {emu.api_key}"},
    )
    assert created.status_code == 403


def test_an_admin_key_is_refused_off_the_organization_routes(admin, emu):
    answer = httpx.get(f"{emu.base_url}/models", headers={"Authorization": f"Bearer {emu.admin_key}"})
    assert refused(answer, 403)["code"] == "insufficient_permissions"
    assert httpx.get(f"{emu.base_url}/organization/users").status_code == 401
    assert [p["name"] for p in ok(admin.get("/organization/projects"))["data"]] == ["Default project"]


# -- users and invites --------------------------------------------------------------------------------


def test_an_invite_is_sent_listed_accepted_and_becomes_a_user(admin, audit, emu):
    now = emu.advance(0)
    invite = ok(admin.post("/organization/invites", json={"email": "ana@example.com", "role": "reader"}))
    assert invite["id"].startswith("invite-") and invite["object"] == "organization.invite"
    assert invite["status"] == "pending" and invite["role"] == "reader" and "accepted_at" not in invite
    assert invite["invited_at"] == int(now) and invite["expires_at"] == int(now) + 7 * 86400
    audit.one("invite.sent", {"id": invite["id"], "data": {"email": "ana@example.com", "role": "reader"}})
    assert ok(admin.get(f"/organization/invites/{invite['id']}")) == invite
    assert ok(admin.get("/organization/invites"))["data"] == [invite]

    emu.advance(60)
    accepted = emu.accept_invite(invite["id"])
    user = accepted["user"]
    assert accepted["invite"] == {**invite, "status": "accepted", "accepted_at": int(now) + 60}
    assert user["id"].startswith("user-") and user["email"] == "ana@example.com" and user["role"] == "reader"
    assert user["added_at"] == int(now) + 60
    first, second = audit.new()
    assert first["type"] == "invite.accepted" and first["invite.accepted"] == {"id": invite["id"]}
    assert second["type"] == "user.added" and second["user.added"] == {
        "id": user["id"],
        "data": {"role": "reader"},
    }
    for entry in (first, second):
        assert entry["actor"]["type"] == "session"
        assert entry["actor"]["session"]["user"] == {"id": user["id"], "email": "ana@example.com"}
        assert entry["actor"]["session"]["ip_address"] == "127.0.0.1"
        assert entry["effective_at"] == int(now) + 60 and "project" not in entry
    assert [u["id"] for u in ok(admin.get("/organization/users"))["data"]] == [OWNER_ID, user["id"]]
    assert ok(admin.get(f"/organization/invites/{invite['id']}"))["status"] == "accepted"


def test_invites_refused(admin, emu):
    refused(
        admin.post("/organization/invites", json={"email": "ana@example.com", "role": "member"}), 400, "role"
    )
    refused(
        admin.post("/organization/invites", json={"email": "not-an-email", "role": "owner"}), 400, "email"
    )
    refused(admin.post("/organization/invites", json={"role": "owner"}), 400, "email")
    unknown = {"email": "ana@example.com", "role": "owner", "projects": []}
    assert (
        refused(admin.post("/organization/invites", json=unknown), 400, "projects")["code"]
        == "unknown_parameter"
    )
    refused(admin.post("/organization/invites", json={"email": OWNER_EMAIL, "role": "owner"}), 400, "email")
    ok(admin.post("/organization/invites", json={"email": "ana@example.com", "role": "owner"}))
    refused(
        admin.post("/organization/invites", json={"email": "ANA@example.com", "role": "owner"}), 400, "email"
    )
    refused(admin.get("/organization/invites/invite-nope"), 404)
    refused(admin.delete("/organization/invites/invite-nope"), 404)
    assert len(log(admin)) == 1


def test_an_invite_expires_after_seven_days_and_can_then_be_deleted_but_not_accepted(admin, audit, emu):
    invite = ok(admin.post("/organization/invites", json={"email": "bo@example.com", "role": "owner"}))
    audit.new()
    emu.advance(7 * 86400)
    assert ok(admin.get(f"/organization/invites/{invite['id']}"))["status"] == "expired"
    with pytest.raises(httpx.HTTPStatusError) as caught:
        emu.accept_invite(invite["id"])
    assert caught.value.response.status_code == 400
    assert ok(admin.delete(f"/organization/invites/{invite['id']}")) == {
        "object": "organization.invite.deleted",
        "id": invite["id"],
        "deleted": True,
    }
    audit.one("invite.deleted", {"id": invite["id"]})
    refused(admin.get(f"/organization/invites/{invite['id']}"), 404)


def test_an_accepted_invite_cannot_be_deleted_nor_accepted_twice(admin, emu):
    invite = ok(admin.post("/organization/invites", json={"email": "cy@example.com", "role": "reader"}))
    emu.accept_invite(invite["id"])
    refused(admin.delete(f"/organization/invites/{invite['id']}"), 400, "invite_id")
    with pytest.raises(httpx.HTTPStatusError):
        emu.accept_invite(invite["id"])
    with pytest.raises(httpx.HTTPStatusError) as caught:
        emu.accept_invite("invite-nope")
    assert caught.value.response.status_code == 404


def test_a_users_role_changes_and_the_user_is_removed_everywhere(admin, audit, emu):
    user = new_user(admin, emu)
    project = new_project(admin)
    ok(
        admin.post(
            f"/organization/projects/{project['id']}/users", json={"user_id": user["id"], "role": "member"}
        )
    )
    audit.new()

    updated = ok(admin.post(f"/organization/users/{user['id']}", json={"role": "owner"}))
    assert updated == {**user, "role": "owner"}
    audit.one("user.updated", {"id": user["id"], "changes_requested": {"role": "owner"}})

    assert ok(admin.delete(f"/organization/users/{user['id']}")) == {
        "object": "organization.user.deleted",
        "id": user["id"],
        "deleted": True,
    }
    audit.one("user.deleted", {"id": user["id"]})
    refused(admin.get(f"/organization/users/{user['id']}"), 404)
    assert ok(admin.get(f"/organization/projects/{project['id']}/users"))["data"] == []


def test_users_refused(admin, emu):
    refused(admin.get("/organization/users/user-nope"), 404)
    refused(admin.post("/organization/users/user-nope", json={"role": "owner"}), 404)
    refused(admin.delete("/organization/users/user-nope"), 404)
    user = new_user(admin, emu)
    refused(admin.post(f"/organization/users/{user['id']}", json={"role": "member"}), 400, "role")
    refused(admin.post(f"/organization/users/{user['id']}", json={"role": "owner", "name": "x"}), 400, "name")
    refused(admin.post(f"/organization/users/{user['id']}", json={}), 400, "role")
    refused(admin.post(f"/organization/users/{OWNER_ID}", json={"role": "reader"}), 400, "user_id")
    refused(admin.delete(f"/organization/users/{OWNER_ID}"), 400, "user_id")
    refused(admin.get("/organization/users", params={"limit": 0}), 400, "limit")
    refused(admin.get("/organization/users", params={"limit": 101}), 400, "limit")
    refused(admin.get("/organization/users", params={"after": "user-nope"}), 400, "after")
    assert [e["type"] for e in log(admin)] == ["user.added", "invite.accepted", "invite.sent"]


def test_users_page_oldest_first(admin, emu):
    made = [new_user(admin, emu, f"u{n}@example.com")["id"] for n in range(4)]
    first = ok(admin.get("/organization/users", params={"limit": 2}))
    assert [u["id"] for u in first["data"]] == [OWNER_ID, made[0]] and first["has_more"] is True
    second = ok(admin.get("/organization/users", params={"limit": 2, "after": first["last_id"]}))
    third = ok(admin.get("/organization/users", params={"limit": 2, "after": second["last_id"]}))
    assert [u["id"] for u in second["data"] + third["data"]] == made[1:]
    assert third["has_more"] is False


# -- projects -----------------------------------------------------------------------------------------


def test_a_project_is_created_renamed_and_archived(admin, audit, emu):
    now = int(emu.advance(0))
    created = ok(
        admin.post(
            "/organization/projects",
            json={"name": "Data pipelines", "app_use_case": "ETL", "business_website": "https://example.com"},
        )
    )
    assert created["id"].startswith("proj_") and created["object"] == "organization.project"
    assert created == {
        "id": created["id"],
        "object": "organization.project",
        "name": "Data pipelines",
        "created_at": now,
        "archived_at": None,
        "status": "active",
        "app_use_case": "ETL",
        "business_website": "https://example.com",
    }
    scope = {"id": created["id"], "name": "Data pipelines"}
    audit.one(
        "project.created",
        {"id": created["id"], "data": {"name": "Data pipelines", "title": "Data pipelines"}},
        project=scope,
    )
    assert ok(admin.get(f"/organization/projects/{created['id']}")) == created

    renamed = ok(admin.post(f"/organization/projects/{created['id']}", json={"name": "Pipelines"}))
    assert renamed == {**created, "name": "Pipelines"}
    audit.one(
        "project.updated",
        {"id": created["id"], "changes_requested": {"title": "Pipelines"}},
        project={"id": created["id"], "name": "Pipelines"},
    )

    emu.advance(30)
    archived = ok(admin.post(f"/organization/projects/{created['id']}/archive"))
    assert archived == {**renamed, "status": "archived", "archived_at": now + 30}
    audit.one("project.archived", {"id": created["id"]}, project={"id": created["id"], "name": "Pipelines"})
    assert ok(admin.post(f"/organization/projects/{created['id']}/archive")) == archived  # as it is
    assert audit.new() == []


def test_archived_projects_are_listed_only_when_asked_and_refuse_changes(admin, emu):
    kept = new_project(admin, "Kept")
    gone = new_project(admin, "Gone")
    ok(admin.post(f"/organization/projects/{gone['id']}/archive"))
    names = [p["name"] for p in ok(admin.get("/organization/projects"))["data"]]
    assert names == ["Default project", "Kept"]
    everything = ok(admin.get("/organization/projects", params={"include_archived": "true"}))["data"]
    assert [p["name"] for p in everything] == ["Default project", "Kept", "Gone"]
    assert [
        p["name"] for p in ok(admin.get("/organization/projects", params={"include_archived": False}))["data"]
    ] == names

    entries = len(log(admin))
    base = f"/organization/projects/{gone['id']}"
    for answer in (
        admin.post(base, json={"name": "Back"}),
        admin.get(f"{base}/users"),
        admin.post(f"{base}/users", json={"user_id": OWNER_ID, "role": "owner"}),
        admin.get(f"{base}/users/{OWNER_ID}"),
        admin.post(f"{base}/users/{OWNER_ID}", json={"role": "member"}),
        admin.delete(f"{base}/users/{OWNER_ID}"),
        admin.get(f"{base}/service_accounts"),
        admin.post(f"{base}/service_accounts", json={"name": "bot"}),
        admin.get(f"{base}/service_accounts/svc_acct_x"),
        admin.delete(f"{base}/service_accounts/svc_acct_x"),
        admin.get(f"{base}/api_keys"),
        admin.get(f"{base}/api_keys/key_x"),
        admin.delete(f"{base}/api_keys/key_x"),
    ):
        assert refused(answer, 400)["message"] == "Project Gone is archived"
    assert ok(admin.get(base))["status"] == "archived"
    assert len(log(admin)) == entries
    assert ok(admin.get(f"/organization/projects/{kept['id']}"))["status"] == "active"


def test_projects_refused(admin):
    refused(admin.post("/organization/projects", json={}), 400, "name")
    refused(admin.post("/organization/projects", json={"name": ""}), 400, "name")
    refused(admin.post("/organization/projects", json={"name": 5}), 400, "name")
    refused(admin.post("/organization/projects", json={"name": "x", "geography": "EU"}), 400, "geography")
    refused(admin.post("/organization/projects", json=["x"]), 400)
    refused(admin.get("/organization/projects/proj_nope"), 404)
    refused(admin.post("/organization/projects/proj_nope", json={"name": "x"}), 404)
    refused(admin.post("/organization/projects/proj_nope/archive"), 404)
    refused(
        admin.get("/organization/projects", params={"include_archived": "maybe"}), 400, "include_archived"
    )
    refused(admin.get("/organization/projects", params={"limit": "x"}), 400, "limit")
    project = new_project(admin)
    refused(admin.post(f"/organization/projects/{project['id']}", json={}), 400, "name")
    refused(
        admin.post(f"/organization/projects/{DEFAULT_PROJECT_ID}", json={"name": "Main"}), 400, "project_id"
    )
    refused(admin.post(f"/organization/projects/{DEFAULT_PROJECT_ID}/archive"), 400, "project_id")
    assert [e["type"] for e in log(admin)] == ["project.created"]


def test_projects_page_without_gaps(admin):
    made = [new_project(admin, f"p{n}")["id"] for n in range(5)]
    seen, after = [], None
    while True:
        listed = ok(
            admin.get("/organization/projects", params={"limit": 2, **({"after": after} if after else {})})
        )
        seen += [p["id"] for p in listed["data"]]
        if not listed["has_more"]:
            break
        after = listed["last_id"]
    assert seen == [DEFAULT_PROJECT_ID, *made]


# -- project users --------------------------------------------------------------------------------------


def test_a_project_user_is_added_changed_and_removed(admin, audit, emu):
    user = new_user(admin, emu)
    project = new_project(admin)
    scope = {"id": project["id"], "name": project["name"]}
    base = f"/organization/projects/{project['id']}/users"
    audit.new()
    now = int(emu.advance(5))

    added = ok(admin.post(base, json={"user_id": user["id"], "role": "member"}))
    assert added == {
        "object": "organization.project.user",
        "id": user["id"],
        "name": user["name"],
        "email": user["email"],
        "role": "member",
        "added_at": now,
    }
    audit.one("user.added", {"id": user["id"], "data": {"role": "member"}}, project=scope)
    assert ok(admin.get(f"{base}/{user['id']}")) == added
    assert ok(admin.get(base))["data"] == [added]

    changed = ok(admin.post(f"{base}/{user['id']}", json={"role": "owner"}))
    assert changed == {**added, "role": "owner"}
    audit.one("user.updated", {"id": user["id"], "changes_requested": {"role": "owner"}}, project=scope)

    assert ok(admin.delete(f"{base}/{user['id']}")) == {
        "object": "organization.project.user.deleted",
        "id": user["id"],
        "deleted": True,
    }
    audit.one("user.deleted", {"id": user["id"]}, project=scope)
    refused(admin.get(f"{base}/{user['id']}"), 404)
    assert ok(admin.get(base))["data"] == []
    assert ok(admin.get(f"/organization/users/{user['id']}"))["role"] == "reader"  # still in the organization


def test_project_users_refused(admin, emu):
    user = new_user(admin, emu)
    base = f"/organization/projects/{DEFAULT_PROJECT_ID}/users"
    entries = len(log(admin))
    refused(admin.post(base, json={"user_id": "user-nope", "role": "member"}), 400, "user_id")
    refused(admin.post(base, json={"user_id": OWNER_ID, "role": "member"}), 400, "user_id")  # already in
    refused(admin.post(base, json={"user_id": user["id"], "role": "reader"}), 400, "role")
    refused(admin.post(base, json={"user_id": user["id"]}), 400, "role")
    refused(admin.post(base, json={"email": user["email"], "role": "member"}), 400)
    refused(admin.get(f"{base}/{user['id']}"), 404)
    refused(admin.post(f"{base}/{user['id']}", json={"role": "owner"}), 404)
    refused(admin.delete(f"{base}/{user['id']}"), 404)
    refused(admin.post(f"{base}/{OWNER_ID}", json={"role": "admin"}), 400, "role")
    refused(admin.get("/organization/projects/proj_nope/users"), 404)
    refused(
        admin.post("/organization/projects/proj_nope/users", json={"user_id": OWNER_ID, "role": "owner"}), 404
    )
    assert len(log(admin)) == entries


# -- service accounts and API keys --------------------------------------------------------------------


def test_a_service_accounts_key_is_shown_once(admin, audit, emu):
    project = new_project(admin)
    scope = {"id": project["id"], "name": project["name"]}
    base = f"/organization/projects/{project['id']}"
    audit.new()
    now = int(emu.advance(0))

    created = ok(admin.post(f"{base}/service_accounts", json={"name": "Nightly loader"}))
    key = created.pop("api_key")
    assert created["id"].startswith("svc_acct_")
    assert created == {
        "object": "organization.project.service_account",
        "id": created["id"],
        "name": "Nightly loader",
        "role": "member",
        "created_at": now,
    }
    assert key["object"] == "organization.project.service_account.api_key"
    assert key["value"].startswith("sk-") and len(key["value"]) > 40
    assert key["id"].startswith("key_") and key["created_at"] == now and key["name"]
    audit.one("service_account.created", {"id": created["id"], "data": {"role": "member"}}, project=scope)

    assert ok(admin.get(f"{base}/service_accounts/{created['id']}")) == created
    assert ok(admin.get(f"{base}/service_accounts"))["data"] == [created]
    listed = ok(admin.get(f"{base}/api_keys"))
    shown = ok(admin.get(f"{base}/api_keys/{key['id']}"))
    assert listed["data"] == [shown]
    assert shown == {
        "object": "organization.project.api_key",
        "id": key["id"],
        "name": key["name"],
        "redacted_value": f"{key['value'][:10]}...{key['value'][-4:]}",
        "created_at": now,
        "last_used_at": None,
        "owner": {"type": "service_account", "service_account": created},
    }
    everything = str([listed, shown, ok(admin.get(f"{base}/service_accounts")), log(admin)])
    assert key["value"] not in everything  # never shown again

    refused(admin.delete(f"{base}/api_keys/{key['id']}"), 400, "key_id")
    assert audit.new() == []
    assert ok(admin.delete(f"{base}/service_accounts/{created['id']}")) == {
        "object": "organization.project.service_account.deleted",
        "id": created["id"],
        "deleted": True,
    }
    audit.one("service_account.deleted", {"id": created["id"]}, project=scope)
    refused(admin.get(f"{base}/service_accounts/{created['id']}"), 404)
    refused(admin.get(f"{base}/api_keys/{key['id']}"), 404)  # its key went with it
    assert ok(admin.get(f"{base}/api_keys"))["data"] == []


def test_a_users_key_is_deleted(admin, audit):
    base = f"/organization/projects/{DEFAULT_PROJECT_ID}/api_keys"
    assert ok(admin.delete(f"{base}/{DEFAULT_KEY_ID}")) == {
        "object": "organization.project.api_key.deleted",
        "id": DEFAULT_KEY_ID,
        "deleted": True,
    }
    audit.one(
        "api_key.deleted",
        {"id": DEFAULT_KEY_ID},
        project={"id": DEFAULT_PROJECT_ID, "name": "Default project"},
    )
    refused(admin.get(f"{base}/{DEFAULT_KEY_ID}"), 404)
    refused(admin.delete(f"{base}/{DEFAULT_KEY_ID}"), 404)


def test_removing_the_owner_from_a_project_takes_their_keys_out_of_it(admin):
    base = f"/organization/projects/{DEFAULT_PROJECT_ID}"
    ok(admin.delete(f"{base}/users/{OWNER_ID}"))
    assert ok(admin.get(f"{base}/api_keys"))["data"] == []


def test_service_accounts_and_keys_refused(admin):
    project = new_project(admin)
    base = f"/organization/projects/{project['id']}"
    entries = len(log(admin))
    refused(admin.post(f"{base}/service_accounts", json={}), 400, "name")
    refused(admin.post(f"{base}/service_accounts", json={"name": ""}), 400, "name")
    refused(admin.post(f"{base}/service_accounts", json={"name": "bot", "role": "owner"}), 400, "role")
    refused(admin.get(f"{base}/service_accounts/svc_acct_nope"), 404)
    refused(admin.delete(f"{base}/service_accounts/svc_acct_nope"), 404)
    refused(admin.get(f"{base}/api_keys/key_nope"), 404)
    refused(admin.delete(f"{base}/api_keys/key_nope"), 404)
    refused(admin.get(f"{base}/api_keys/{DEFAULT_KEY_ID}"), 404)  # a key of another project
    refused(admin.get("/organization/projects/proj_nope/service_accounts"), 404)
    refused(admin.post("/organization/projects/proj_nope/service_accounts", json={"name": "bot"}), 404)
    refused(admin.get("/organization/projects/proj_nope/api_keys"), 404)
    refused(admin.get(f"{base}/api_keys", params={"limit": 500}), 400, "limit")
    other = new_project(admin, "Other")
    account = ok(admin.post(f"/organization/projects/{other['id']}/service_accounts", json={"name": "bot"}))
    refused(admin.get(f"{base}/service_accounts/{account['id']}"), 404)  # an account of another project
    assert len(log(admin)) == entries + 2


def test_service_accounts_and_keys_page(admin):
    base = f"/organization/projects/{DEFAULT_PROJECT_ID}"
    made = [ok(admin.post(f"{base}/service_accounts", json={"name": f"bot {n}"})) for n in range(3)]
    first = ok(admin.get(f"{base}/service_accounts", params={"limit": 2}))
    rest = ok(admin.get(f"{base}/service_accounts", params={"limit": 2, "after": first["last_id"]}))
    assert [a["id"] for a in first["data"] + rest["data"]] == [a["id"] for a in made]
    assert first["has_more"] is True and rest["has_more"] is False
    keys = ok(admin.get(f"{base}/api_keys", params={"limit": 3}))
    assert [k["id"] for k in keys["data"]] == [DEFAULT_KEY_ID] + [a["api_key"]["id"] for a in made[:2]]
    assert keys["has_more"] is True


# -- the provider's own hook ----------------------------------------------------------------------------


def test_the_hook_manages_the_emulated_organization(hook, emu):
    emu.set_speed(0)
    project = hook.create_project("Ops")
    emu.advance(60)
    assert hook.update_project(project.id, "Ops v2").name == "Ops v2"
    account = hook.create_project_service_account(project.id, "bot")
    assert account.api_key.value.startswith("sk-")
    (key,) = hook.list_project_api_keys(project.id)
    assert key.owner.service_account is not None and key.owner.service_account.id == account.id
    assert hook.archive_project(project.id).status == "archived"
    assert hook.archive_project(project.id).status == "archived"  # a retried archive still succeeds
    assert [p.name for p in hook.list_projects(include_archived=True)] == ["Default project", "Ops v2"]
    invite = hook.create_invite("ana@example.com", "reader")
    user_id = emu.accept_invite(invite.id)["user"]["id"]
    assert hook.get_user(user_id).email == "ana@example.com"
    entries = list(hook.list_audit_logs(event_types=["project.created", "project.updated"]))
    assert [(e.type, e.details) for e in entries] == [
        ("project.updated", {"id": project.id, "changes_requested": {"title": "Ops v2"}}),
        ("project.created", {"id": project.id, "data": {"name": "Ops", "title": "Ops"}}),
    ]
    since = entries[0].effective_at
    assert {e.type for e in hook.list_audit_logs(effective_at={"gte": since})} == {
        "project.updated",
        "service_account.created",
        "project.archived",
        "invite.sent",
        "invite.accepted",
        "user.added",
    }


# -- generated bodies -----------------------------------------------------------------------------------

VALUES = [None, True, 0, -1, 1.5, "", "x", "owner", "member", "reader", "a@b.co", [], ["a"], {}, {"a": 1}]


@pytest.mark.parametrize("seed", range(2))
def test_generated_bodies_never_get_a_5xx(admin, emu, seed):
    rng = random.Random(seed)
    project = new_project(admin)
    base = f"/organization/projects/{project['id']}"
    routes = {
        "/organization/invites": ["email", "role", "projects"],
        f"/organization/users/{OWNER_ID}": ["role"],
        "/organization/projects": ["name", "app_use_case", "business_website"],
        base: ["name", "app_use_case"],
        f"{base}/users": ["user_id", "role"],
        f"{base}/service_accounts": ["name"],
        f"{base}/users/{OWNER_ID}": ["role"],
    }
    control = {
        "/audit_logs": ["type", "email", "project_id", "payload", "effective_at"],
        "/activity": ["hours", "events_per_hour", "seed"],
    }
    with httpx.Client(base_url=f"{emu.url}/_emulator/organization") as plane:
        for _ in range(120):
            route = rng.choice([*routes, *control])
            fields = routes.get(route) or control[route]
            body = {name: rng.choice(VALUES) for name in fields if rng.random() < 0.8}
            answer = admin.post(route, json=body) if route in routes else plane.post(route, json=body)
            assert answer.status_code < 500, (route, body, answer.text)
            if answer.status_code >= 400:
                assert set(answer.json()["error"]) == {"message", "type", "param", "code"}
