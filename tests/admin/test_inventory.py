"""The inventory's records and the keys unused for N days, from plain listings."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_openai.admin import take_inventory, unused_keys
from airflow_openai.admin.inventory import owner_of
from airflow_openai.models import ProjectApiKey

DAY = 86400
NOW = 1_800_000_000


def key(key_id: str, *, created: float, used: float | None, owner: dict | None = None) -> dict[str, Any]:
    return {
        "kind": "api_key",
        "id": key_id,
        "name": f"Key {key_id}",
        "redacted_value": "sk-abc...wxyz",
        "created_at": int(NOW - created * DAY),
        "last_used_at": None if used is None else int(NOW - used * DAY),
        "project_id": "proj_a",
        "project_name": "A",
        "owner": owner or {"type": "user", "user": {"id": "user-1", "email": "a@example.com", "name": "A"}},
    }


def test_keys_unused_for_n_days_last_used_long_ago_or_never_used_and_old():
    keys = [
        key("used-yesterday", created=100, used=1),
        key("used-long-ago", created=100, used=40),
        key("used-exactly-30-days-ago", created=100, used=30),
        key("never-used-old", created=45, used=None),
        key("never-used-new", created=2, used=None),
    ]
    found = unused_keys(keys, 30, NOW)
    assert [k["id"] for k in found] == ["never-used-old", "used-long-ago", "used-exactly-30-days-ago"]
    assert found[1] == {
        "id": "used-long-ago",
        "name": "Key used-long-ago",
        "project": {"id": "proj_a", "name": "A"},
        "owner": {"type": "user", "id": "user-1", "email": "a@example.com", "name": "A"},
        "last_used_at": NOW - 40 * DAY,
        "created_at": NOW - 100 * DAY,
    }
    assert found[0]["last_used_at"] is None
    assert "redacted_value" not in found[0]
    assert [k["id"] for k in unused_keys(keys, 0, NOW)] == [
        k["id"] for k in sorted(keys, key=lambda k: k["last_used_at"] or k["created_at"])
    ]
    with pytest.raises(ValueError, match="0 or more"):
        unused_keys(keys, -1, NOW)


def test_owners_are_summed_up_by_kind():
    account = {"type": "service_account", "service_account": {"id": "svc_1", "name": "bot", "role": "member"}}
    assert owner_of({"owner": account}) == {"type": "service_account", "id": "svc_1", "name": "bot"}
    assert owner_of({"owner": {"type": "user"}}) == {"type": "user"}
    assert owner_of({}) == {"type": None}


class Listings:
    """Stands in for the hook's list methods, recording what was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, tuple, dict]] = []

    def _list(self, name: str, items: list, *args: Any, **kwargs: Any) -> list:
        self.asked.append((name, args, kwargs))
        return items

    def list_users(self, **kwargs: Any) -> list:
        return self._list("users", [{"id": "user-1", "email": "a@example.com"}], **kwargs)

    def list_invites(self, **kwargs: Any) -> list:
        return self._list(
            "invites", [{"id": "invite-1", "email": "b@example.com", "status": "pending"}], **kwargs
        )

    def list_projects(self, **kwargs: Any) -> list:
        projects = [
            {"id": "proj_a", "name": "A", "status": "active", "archived_at": None},
            {"id": "proj_b", "name": "B", "status": "archived", "archived_at": NOW - DAY},
        ]
        return self._list("projects", projects, **kwargs)

    def list_project_users(self, project_id: str, **kwargs: Any) -> list:
        return self._list("project_users", [{"id": "user-1", "role": "owner"}], project_id, **kwargs)

    def list_project_service_accounts(self, project_id: str, **kwargs: Any) -> list:
        return self._list("service_accounts", [{"id": "svc_1", "name": "bot"}], project_id, **kwargs)

    def list_project_api_keys(self, project_id: str, **kwargs: Any) -> list:
        raw = {
            "id": "key_1",
            "object": "organization.project.api_key",
            "redacted_value": "sk-svc...wxyz",
            "name": "Secret Key",
            "created_at": NOW - DAY,
            "owner": {"type": "service_account"},
            "value": "sk-never-kept",
        }
        return self._list("api_keys", [ProjectApiKey.model_validate(raw)], project_id, **kwargs)


def test_the_inventory_reads_everything_but_an_archived_projects_contents():
    source = Listings()
    inventory = take_inventory(source, now=NOW)
    assert [(r["kind"], r["id"]) for r in inventory.records] == [
        ("user", "user-1"),
        ("invite", "invite-1"),
        ("project", "proj_a"),
        ("project", "proj_b"),
        ("project_user", "user-1"),
        ("service_account", "svc_1"),
        ("api_key", "key_1"),
    ]
    assert inventory.counts() == {
        "user": 1,
        "invite": 1,
        "project": 2,
        "project_user": 1,
        "service_account": 1,
        "api_key": 1,
    }
    (api_key,) = inventory.of_kind("api_key")
    assert api_key["project_id"] == "proj_a" and api_key["project_name"] == "A"
    assert api_key["last_used_at"] is None and "value" not in api_key, "a key's value is never kept"
    assert ("projects", (), {"limit": 100, "include_archived": True}) in source.asked
    assert all(args != ("proj_b",) for _, args, _ in source.asked), (
        "an archived project's contents are not read"
    )
    assert inventory.taken_at_iso == "2027-01-15T08:00:00+00:00"
