"""A project's users: organization users given a project role (`owner` or `member`).

Only a user of the organization can be added (a 400 otherwise, as the spec says), once.
Each change writes `user.added`, `user.updated` or `user.deleted` scoped to the project.
Removing a user from a project removes the API keys they own in it.
"""

from __future__ import annotations

from airflow_openai.emulator.core.errors import bad_request
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.organization import directory
from airflow_openai.emulator.organization import organization as org
from airflow_openai.emulator.organization.directory import PROJECT_USERS


def render(state: EmulatorState, member: Obj) -> Obj:
    """The `ProjectUser`: the organization user's name and email with the project role."""
    user = state.store.get(org.USER, member["_user_id"]) or {}
    return {
        "object": org.MEMBER,
        "id": member["_user_id"],
        "name": user.get("name", ""),
        "email": user.get("email", ""),
        "role": member["role"],
        "added_at": member["added_at"],
    }


def get_member(state: EmulatorState, project_id: str, user_id: str) -> Obj:
    return render(state, directory.held_or_404(state, PROJECT_USERS, project_id, user_id))


def members(state: EmulatorState, project_id: str) -> list[Obj]:
    return [render(state, member) for member in directory.held_by(state, PROJECT_USERS, project_id)]


def add(state: EmulatorState, project_id: str, user_id: str, role: str) -> Obj:
    with state.store.locked():
        project = directory.active_project(state, project_id)
        if state.store.get(org.USER, user_id) is None:
            raise bad_request(
                f"User {user_id} is not a member of this organization: invite them first.",
                param="user_id",
                code="invalid_value",
            )
        if state.store.get(org.MEMBER, PROJECT_USERS.stored_id(project_id, user_id)) is not None:
            raise bad_request(
                f"User {user_id} is already a member of project {project['name']}.",
                param="user_id",
                code="invalid_value",
            )
        member = state.store.put(org.MEMBER, org.membership(project_id, user_id, role, state.now()))
        directory.log_change(state, PROJECT_USERS, member, "user.added", data={"role": role})
    return render(state, member)


def update(state: EmulatorState, project_id: str, user_id: str, role: str) -> Obj:
    with state.store.locked():
        member = directory.held_or_404(state, PROJECT_USERS, project_id, user_id)
        directory.change_role(state, PROJECT_USERS, member, role)
    return render(state, member)


def remove(state: EmulatorState, project_id: str, user_id: str) -> Obj:
    with state.store.locked():
        member = directory.held_or_404(state, PROJECT_USERS, project_id, user_id)
        directory.delete_keys_of(state, "user", user_id, project_id)
        return directory.delete(state, PROJECT_USERS, member, "user.deleted")
