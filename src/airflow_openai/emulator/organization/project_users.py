"""A project's users: organization users given a project role (`owner` or `member`).

Only a user of the organization can be added (a 400 otherwise, as the spec says), once.
Each change writes `user.added`, `user.updated` or `user.deleted` scoped to the project.
Removing a user from a project removes the API keys they own in it.
"""

from __future__ import annotations

from airflow_openai.emulator.core.errors import bad_request, not_found
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.organization import audit_log
from airflow_openai.emulator.organization import organization as org
from airflow_openai.emulator.organization.organization_projects import active_project


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


def member_or_404(state: EmulatorState, project_id: str, user_id: str) -> Obj:
    active_project(state, project_id)
    member = state.store.get(org.MEMBER, f"{project_id}/{user_id}")
    if member is None:
        raise not_found("project user", user_id)
    return member


def members(state: EmulatorState, project_id: str) -> list[Obj]:
    active_project(state, project_id)
    return [
        render(state, member)
        for member in org.oldest_first(state, org.MEMBER)
        if member["_project_id"] == project_id
    ]


def add(state: EmulatorState, project_id: str, user_id: str, role: str) -> Obj:
    with state.store.locked():
        project = active_project(state, project_id)
        if state.store.get(org.USER, user_id) is None:
            raise bad_request(
                f"User {user_id} is not a member of this organization: invite them first.",
                param="user_id",
                code="invalid_value",
            )
        if state.store.get(org.MEMBER, f"{project_id}/{user_id}") is not None:
            raise bad_request(
                f"User {user_id} is already a member of project {project['name']}.",
                param="user_id",
                code="invalid_value",
            )
        member = state.store.put(org.MEMBER, org.membership(project_id, user_id, role, state.now()))
        audit_log.record(
            state,
            "user.added",
            actor=audit_log.key_actor(org.owner(state)),
            payload={"id": user_id, "data": {"role": role}},
            project=project,
        )
    return render(state, member)


def update(state: EmulatorState, project_id: str, user_id: str, role: str) -> Obj:
    with state.store.locked():
        member = member_or_404(state, project_id, user_id)
        member["role"] = role
        state.store.put(org.MEMBER, member)
        audit_log.record(
            state,
            "user.updated",
            actor=audit_log.key_actor(org.owner(state)),
            payload={"id": user_id, "changes_requested": {"role": role}},
            project=state.store.get(org.PROJECT, project_id),
        )
    return render(state, member)


def remove(state: EmulatorState, project_id: str, user_id: str) -> Obj:
    with state.store.locked():
        member = member_or_404(state, project_id, user_id)
        state.store.delete(org.MEMBER, member["id"])
        for key in state.store.all(org.API_KEY):
            if key["_project_id"] == project_id and key["_owner"] == {"type": "user", "id": user_id}:
                state.store.delete(org.API_KEY, key["id"])
        audit_log.record(
            state,
            "user.deleted",
            actor=audit_log.key_actor(org.owner(state)),
            payload={"id": user_id},
            project=state.store.get(org.PROJECT, project_id),
        )
    return {"object": "organization.project.user.deleted", "id": user_id, "deleted": True}
