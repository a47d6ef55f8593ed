"""What the organization holds, by kind: one way to find, list, make, change and delete any of it.

`/v1/organization/*` keeps six kinds of things (users, invites, projects, and what a project
holds: its users, service accounts and API keys) and treats them all alike, so each rule is
written once here and the table of kinds says what differs:

- A miss is the service's 404 naming the kind as it does (`No such API key: 'key_...'`).
- What a project holds is read through the project: a missing project is a 404 and an archived
  one a 400 before the object is looked at, and an object of another project is as missing as
  one that never was. Lists are oldest first, as the service's directory lists are.
- Every change made through the API writes one audit entry by the admin key (which acts as the
  organization's owner), naming what was changed and scoped to its project, if it has one.
- A deletion answers the spec's `<object>.deleted`.

The rules of each kind (who may be removed, what a deletion takes with it) stay with the kind:
`organization_people`, `organization_projects`, `project_users`, `project_keys`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_openai.emulator.core.errors import bad_request, not_found
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.organization import audit_log
from airflow_openai.emulator.organization import organization as org


@dataclass(frozen=True)
class Kind:
    """One kind of thing the organization holds.

    `name` is both the store kind and the spec's `object`; `noun` is how a 404 names it; `prefix`
    and `id_length` draw a new one's id. `held` kinds belong to a project (`_project_id`). A
    project user has no id of its own: it is stored under `<project>/<user>` (`keyed_by_project`)
    and known to clients by the user's id."""

    name: str
    noun: str
    prefix: str = ""
    id_length: int = 24
    held: bool = False
    keyed_by_project: bool = False

    def stored_id(self, project_id: str, object_id: str) -> str:
        return f"{project_id}/{object_id}" if self.keyed_by_project else object_id

    def public_id(self, obj: Obj) -> str:
        """The id clients know `obj` by (the inverse of `stored_id`)."""
        return obj["id"].split("/", 1)[1] if self.keyed_by_project else obj["id"]

    def deleted(self, object_id: str) -> Obj:
        """The spec's answer to a deletion."""
        return {"object": f"{self.name}.deleted", "id": object_id, "deleted": True}


USERS = Kind(org.USER, "user", prefix="user-")
INVITES = Kind(org.INVITE, "invite", prefix="invite-")
PROJECTS = Kind(org.PROJECT, "project", prefix="proj_")
PROJECT_USERS = Kind(org.MEMBER, "project user", held=True, keyed_by_project=True)
SERVICE_ACCOUNTS = Kind(org.SERVICE_ACCOUNT, "service account", prefix="svc_acct_", held=True)
API_KEYS = Kind(org.API_KEY, "API key", prefix="key_", id_length=16, held=True)


def get_or_404(state: EmulatorState, kind: Kind, object_id: str) -> Obj:
    """An object of the organization itself (a user, an invite, a project) by its id."""
    org.ensure(state)
    found = state.store.get(kind.name, object_id)
    if found is None:
        raise not_found(kind.noun, object_id)
    return found


def active_project(state: EmulatorState, project_id: str) -> Obj:
    """The project, if it exists (404) and is not archived (400)."""
    project = get_or_404(state, PROJECTS, project_id)
    if project["status"] == "archived":
        raise bad_request(f"Project {project['name']} is archived", param="project_id", code="invalid_value")
    return project


def held_or_404(state: EmulatorState, kind: Kind, project_id: str, object_id: str) -> Obj:
    """What the active project `project_id` holds under the id clients know it by."""
    active_project(state, project_id)
    found = state.store.get(kind.name, kind.stored_id(project_id, object_id))
    if found is None or found["_project_id"] != project_id:
        raise not_found(kind.noun, object_id)
    return found


def held_by(state: EmulatorState, kind: Kind, project_id: str) -> list[Obj]:
    """Everything of `kind` the active project `project_id` holds, oldest first."""
    active_project(state, project_id)
    return [obj for obj in org.oldest_first(state, kind.name) if obj["_project_id"] == project_id]


def create(state: EmulatorState, kind: Kind, fields: Obj) -> Obj:
    """Store a new object of `kind` with a fresh id: `{"id", "object", **fields}`."""
    return state.store.put(
        kind.name, {"id": state.ids.new(kind.prefix, kind.id_length), "object": kind.name, **fields}
    )


def log_change(
    state: EmulatorState,
    kind: Kind,
    changed: Obj,
    event_type: str,
    *,
    data: dict[str, Any] | None = None,
    changes_requested: dict[str, Any] | None = None,
) -> Obj:
    """The audit entry for a change made through the API: the admin key acts as the owner, the payload
    names the object (`id`) with the fields it was made with (`data`) or asked to change
    (`changes_requested`), as the spec's payloads do, and a project, or what it holds, scopes it."""
    payload: dict[str, Any] = {"id": kind.public_id(changed)}
    if data is not None:
        payload["data"] = data
    if changes_requested is not None:
        payload["changes_requested"] = changes_requested
    actor = audit_log.key_actor(org.owner(state))
    return audit_log.record(
        state, audit_log.Event(event_type, actor, payload, _project_of(state, kind, changed))
    )


def update(
    state: EmulatorState,
    kind: Kind,
    found: Obj,
    fields: dict[str, Any],
    event_type: str,
    *,
    changes_requested: dict[str, Any] | None = None,
) -> Obj:
    """Change `found` (as read by `get_or_404` or `held_or_404`) and log it; answers it as stored."""
    found.update(fields)
    state.store.put(kind.name, found)
    log_change(state, kind, found, event_type, changes_requested=changes_requested)
    return found


def change_role(state: EmulatorState, kind: Kind, user: Obj, role: str) -> Obj:
    """A user's new role, in the organization (`USERS`) or in a project (`PROJECT_USERS`): either is the
    spec's `user.updated` asking for the role."""
    return update(state, kind, user, {"role": role}, "user.updated", changes_requested={"role": role})


def delete(state: EmulatorState, kind: Kind, found: Obj, event_type: str) -> Obj:
    """Delete `found` (as read by `get_or_404` or `held_or_404`), log it, and answer `<object>.deleted`."""
    state.store.delete(kind.name, found["id"])
    log_change(state, kind, found, event_type)
    return kind.deleted(kind.public_id(found))


def delete_keys_of(
    state: EmulatorState, owner_type: str, owner_id: str, project_id: str | None = None
) -> None:
    """The API keys of a user or service account go with them (only those in `project_id`, if given)."""
    for key in state.store.all(org.API_KEY):
        in_scope = project_id is None or key["_project_id"] == project_id
        if in_scope and key["_owner"] == {"type": owner_type, "id": owner_id}:
            state.store.delete(org.API_KEY, key["id"])


def _project_of(state: EmulatorState, kind: Kind, obj: Obj) -> Obj | None:
    """The project an entry about `obj` is scoped to: the project itself, or the one holding it."""
    if kind is PROJECTS:
        return obj
    return state.store.get(org.PROJECT, obj["_project_id"]) if kind.held else None
