"""The organization's audit log: one entry per change, written as the spec's `AuditLog` object.

An entry is `{id, type, effective_at, actor, project?, <type>: payload?}`: the payload sits
under a key named as the event type (`"project.updated": {"id", "changes_requested"}`).
Entries are stored with private fields (`_actor_ids`, `_actor_emails`, `_resource_id`,
`_project_id`) so the list's filters read them without walking actors and payloads again.

Who acts: a request made with an admin key acts as the organization's owner through that
key, an `api_key` actor of type `user` (as the spec's own `project.archived` example shows
for an API call); logins, logouts and accepted invites happen in a `session` of the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj

KIND = "organization.audit_log"

EVENT_TYPES = (
    "api_key.created",
    "api_key.updated",
    "api_key.deleted",
    "invite.sent",
    "invite.accepted",
    "invite.deleted",
    "login.succeeded",
    "login.failed",
    "logout.succeeded",
    "logout.failed",
    "organization.updated",
    "project.created",
    "project.updated",
    "project.archived",
    "service_account.created",
    "service_account.updated",
    "service_account.deleted",
    "user.added",
    "user.updated",
    "user.deleted",
)
"""`AuditLogEventType` of the spec, in its order."""

SESSION_EVENTS = ("login.succeeded", "login.failed", "logout.succeeded", "logout.failed")
"""Events that happen in a browser session, never through a key."""
SESSION_FAILURE = {"error_code": "invalid_credentials", "error_message": "Invalid email or password."}
"""The payload of a failed login or logout, unless told otherwise."""

ADMIN_KEY_ID = "key_emulatoradminkey0001"
"""The tracking id of the admin key (every `sk-admin-...` key the emulator accepts is this one)."""

IP_ADDRESS = "127.0.0.1"
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
)


def key_actor(user: Obj, key_id: str = ADMIN_KEY_ID) -> dict[str, Any]:
    """A user acting through an API key (the admin key, unless another is named)."""
    return {
        "type": "api_key",
        "api_key": {"id": key_id, "type": "user", "user": {"id": user["id"], "email": user["email"]}},
    }


def session_actor(user: Obj) -> dict[str, Any]:
    """A user acting in a browser session."""
    return {
        "type": "session",
        "session": {
            "user": {"id": user["id"], "email": user["email"]},
            "ip_address": IP_ADDRESS,
            "user_agent": USER_AGENT,
        },
    }


@dataclass(frozen=True)
class Event:
    """What one entry says, before it is an entry: its type, who acted, the payload (kept under a key
    named as the type), the project it is scoped to, and when it took effect (now on the emulator
    clock unless given). One value for both `record` and `build`, so the two cannot drift apart."""

    type: str
    actor: dict[str, Any]
    payload: dict[str, Any] | None = None
    project: Obj | None = None
    effective_at: int | None = None


def record(state: EmulatorState, event: Event) -> Obj:
    """Write the entry for `event`."""
    return state.store.put(KIND, build(state, event))


def build(state: EmulatorState, event: Event) -> Obj:
    """The entry `record` writes, for writing many at once (`Store.put_new`)."""
    assert event.type in EVENT_TYPES, event.type
    when = state.now() if event.effective_at is None else event.effective_at
    entry: Obj = {
        "id": _entry_id(state, when),
        "type": event.type,
        "effective_at": when,
        "actor": event.actor,
    }
    if event.project is not None:
        entry["project"] = {"id": event.project["id"], "name": event.project["name"]}
    if event.payload is not None:
        entry[event.type] = event.payload
    entry.update(_index(event.actor, event.payload, event.project))
    return entry


def _entry_id(state: EmulatorState, when: int) -> str:
    """`audit_log-<random>_<yyyymmdd>`, the shape of the spec's examples."""
    day = datetime.fromtimestamp(when, tz=timezone.utc).strftime("%Y%m%d")
    return f"{state.ids.new('audit_log-', 16)}_{day}"


def _index(actor: dict[str, Any], payload: dict[str, Any] | None, project: Obj | None) -> Obj:
    """What the list's filters match: the actor's ids (user, key, service account) and emails, the
    payload's `id` (the resource acted on) and the project."""
    ids: list[str] = []
    emails: list[str] = []
    for part in (actor.get("api_key") or {}, actor.get("session") or {}):
        if "id" in part:
            ids.append(part["id"])
        for holder in ("user", "service_account"):
            who = part.get(holder) or {}
            if "id" in who:
                ids.append(who["id"])
            if "email" in who:
                emails.append(who["email"])
    resource = payload.get("id") if payload else None
    return {
        "_actor_ids": ids,
        "_actor_emails": emails,
        "_resource_id": resource if isinstance(resource, str) else None,
        "_project_id": project["id"] if project is not None else None,
    }
