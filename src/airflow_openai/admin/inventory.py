"""A point-in-time inventory of who and what can reach an organization, for access reviews.

One record per object, each with a `kind`, in this order: the organization's `user`s and
pending `invite`s, its `project`s (archived ones included, with `status` and `archived_at`),
then for each active project its members (`project_user`), `service_account`s and `api_key`s,
each of these carrying `project_id` and `project_name`. Records hold the API's objects as it
sends them (an API key's `redacted_value`, never a key itself; its `last_used_at`, null when
never used, and its `owner`). An archived project's members, accounts and keys are not listed:
the API refuses to read them, and they can no longer act.

`unused_keys` then finds the keys unused for N days: last used at least N days before the
snapshot, or never used and created at least N days before it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

KINDS = ("user", "invite", "project", "project_user", "service_account", "api_key")
PAGE_SIZE = 100
DAY = 86400

SECRET_FIELDS = ("value",)
"""Fields that would hold a key itself (a new service account's `api_key.value`); never kept."""


def _plain(item: Any) -> dict[str, Any]:
    record = dict(item.model_dump(mode="json")) if hasattr(item, "model_dump") else dict(item)
    for name in SECRET_FIELDS:
        record.pop(name, None)
    return record


@dataclass
class Inventory:
    """Every record of one snapshot, and when it was taken (Unix seconds)."""

    taken_at: float
    records: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, item: Any, **context: Any) -> dict[str, Any]:
        record = {"kind": kind, **context, **_plain(item)}
        if kind == "api_key":
            record.setdefault("last_used_at", None)
        self.records.append(record)
        return record

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [record for record in self.records if record["kind"] == kind]

    def counts(self) -> dict[str, int]:
        """How many records of each kind, every kind named (zero included)."""
        found = Counter(record["kind"] for record in self.records)
        return {kind: found.get(kind, 0) for kind in KINDS}

    @property
    def taken_at_iso(self) -> str:
        return datetime.fromtimestamp(self.taken_at, tz=timezone.utc).isoformat()


def take_inventory(
    source: Any,
    *,
    now: float,
    page_size: int = PAGE_SIZE,
    on_project: Callable[[dict[str, Any]], Any] | None = None,
) -> Inventory:
    """Read the organization through `source` (an `OpenAIHook`, or anything with its `list_users`,
    `list_invites`, `list_projects`, `list_project_users`, `list_project_service_accounts` and
    `list_project_api_keys`), every page of each. `now` is when the snapshot is taken;
    `on_project(project_record)` is called as each project's contents are about to be read."""
    inventory = Inventory(taken_at=now)
    for user in source.list_users(limit=page_size):
        inventory.add("user", user)
    for invite in source.list_invites(limit=page_size):
        inventory.add("invite", invite)
    projects = [
        inventory.add("project", project)
        for project in source.list_projects(limit=page_size, include_archived=True)
    ]
    for project in projects:
        if project.get("status") == "archived" or project.get("archived_at"):
            continue
        if on_project is not None:
            on_project(project)
        scope = {"project_id": project["id"], "project_name": project.get("name")}
        for member in source.list_project_users(project["id"], limit=page_size):
            inventory.add("project_user", member, **scope)
        for account in source.list_project_service_accounts(project["id"], limit=page_size):
            inventory.add("service_account", account, **scope)
        for key in source.list_project_api_keys(project["id"], limit=page_size):
            inventory.add("api_key", key, **scope)
    return inventory


def owner_of(key: dict[str, Any]) -> dict[str, Any]:
    """Who holds an API key: a user (id, email, name) or a service account (id, name)."""
    owner = key.get("owner") or {}
    kind = owner.get("type")
    holder = owner.get(kind) if isinstance(kind, str) else None
    summary: dict[str, Any] = {"type": kind}
    if isinstance(holder, dict):
        summary["id"] = holder.get("id")
        if kind == "user":
            summary["email"] = holder.get("email")
        summary["name"] = holder.get("name")
    return summary


def unused_keys(keys: Iterable[dict[str, Any]], days: float, now: float) -> list[dict[str, Any]]:
    """The API keys (inventory records of kind `api_key`) unused for `days` days before `now`:
    last used at or before `now - days`, or never used and created at or before then. Each is
    ``{id, name, project: {id, name}, owner, last_used_at, created_at}``, least recently active first."""
    if days < 0:
        raise ValueError(f"unused_key_days must be 0 or more, got {days}")
    cutoff = now - days * DAY
    found = []
    for key in keys:
        last_used = key.get("last_used_at")
        active_at = last_used if isinstance(last_used, int | float) else key.get("created_at")
        if not isinstance(active_at, int | float) or active_at > cutoff:
            continue
        found.append(
            {
                "id": key.get("id"),
                "name": key.get("name"),
                "project": {"id": key.get("project_id"), "name": key.get("project_name")},
                "owner": owner_of(key),
                "last_used_at": last_used if isinstance(last_used, int | float) else None,
                "created_at": key.get("created_at"),
            }
        )
    found.sort(key=lambda key: (key["last_used_at"] or key["created_at"] or 0, str(key["id"])))
    return found
