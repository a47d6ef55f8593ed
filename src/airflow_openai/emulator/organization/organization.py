"""The emulated organization as it stands before anyone changes it: one owner, one default project.

The organization exists from the first request that reads it after a start or a reset,
30 days old on the emulator clock: its owner (`owner@example.com`, role `owner`) is its one
user, and its default project holds the owner as a project owner and one API key, the
emulator's own project key (`Emulator.api_key`). The admin key acts as that owner. Nothing
here writes to the audit log: the organization was made before the log begins.
"""

from __future__ import annotations

from typing import Any

from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj, public

ORG_ID = "org-emulator0000000000000000"
OWNER_ID = "user-emulatorowner00000000"
OWNER_EMAIL = "owner@example.com"
OWNER_NAME = "Emulator Owner"
DEFAULT_PROJECT_ID = "proj_emulatordefault0000000"
DEFAULT_PROJECT_NAME = "Default project"
DEFAULT_KEY_ID = "key_emulatorproject0001"
DEFAULT_KEY_REDACTED = "sk-emu...0000"
"""`Emulator.api_key` (`sk-emulator-project-key-0000...`) as the key listing shows it."""
AGE = 30 * 86400

USER = "organization.user"
INVITE = "organization.invite"
PROJECT = "organization.project"
MEMBER = "organization.project.user"
SERVICE_ACCOUNT = "organization.project.service_account"
API_KEY = "organization.project.api_key"

_FOUNDED = "organization.founded"


def ensure(state: EmulatorState) -> None:
    """Found the organization if this store has none yet (after a start on a new directory or a reset)."""
    store = state.store
    with store.locked():
        if store.meta(_FOUNDED) is not None:
            return
        founded = state.now() - AGE
        store.put(
            USER,
            {
                "id": OWNER_ID,
                "object": USER,
                "name": OWNER_NAME,
                "email": OWNER_EMAIL,
                "role": "owner",
                "added_at": founded,
            },
        )
        store.put(
            PROJECT,
            {
                "id": DEFAULT_PROJECT_ID,
                "object": PROJECT,
                "name": DEFAULT_PROJECT_NAME,
                "created_at": founded,
                "archived_at": None,
                "status": "active",
            },
        )
        store.put(MEMBER, membership(DEFAULT_PROJECT_ID, OWNER_ID, "owner", founded))
        store.put(
            API_KEY,
            {
                "id": DEFAULT_KEY_ID,
                "object": API_KEY,
                "name": "Emulator project key",
                "redacted_value": DEFAULT_KEY_REDACTED,
                "created_at": founded,
                "last_used_at": None,
                "_project_id": DEFAULT_PROJECT_ID,
                "_owner": {"type": "user", "id": OWNER_ID},
            },
        )
        store.meta(_FOUNDED, str(founded))


def owner(state: EmulatorState) -> Obj:
    """The user the admin key acts as."""
    ensure(state)
    user = state.store.get(USER, OWNER_ID)
    assert user is not None
    return user


def membership(project_id: str, user_id: str, role: str, added_at: int) -> Obj:
    """A user's place in a project, stored under `<project>/<user>`."""
    return {
        "id": f"{project_id}/{user_id}",
        "_project_id": project_id,
        "_user_id": user_id,
        "role": role,
        "added_at": added_at,
    }


def oldest_first(state: EmulatorState, kind: str) -> list[Obj]:
    """A directory lists in the order things were made: the owner first, the default project first."""
    return state.store.all(kind, newest_first=False)


def render_project(project: Obj) -> dict[str, Any]:
    """A project with `archived_at` always present (`null` while active), as the spec's examples show."""
    return {**public(project), "archived_at": project.get("archived_at")}
