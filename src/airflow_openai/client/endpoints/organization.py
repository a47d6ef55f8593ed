"""`/organization/*`: audit logs, invites, users, projects and what belongs to a project. Admin key only."""

from __future__ import annotations

from typing import Any

from airflow_openai.client.calls import ApiCall, ListCall, Reconcile, segment
from airflow_openai.models import (
    AuditLog,
    DeletedObject,
    Invite,
    Project,
    ProjectApiKey,
    ProjectServiceAccount,
    ProjectServiceAccountCreateResponse,
    ProjectUser,
    User,
)


def _project(project_id: str) -> str:
    return f"/organization/projects/{segment(project_id)}"


def list_audit_logs(
    limit: int | None = None,
    after: str | None = None,
    before: str | None = None,
    effective_at: dict[str, int] | None = None,
    project_ids: list[str] | None = None,
    event_types: list[str] | None = None,
    actor_ids: list[str] | None = None,
    actor_emails: list[str] | None = None,
    resource_ids: list[str] | None = None,
) -> ListCall[AuditLog]:
    """Audit events, filtered as the spec allows; `effective_at` takes gt/gte/lt/lte Unix times."""
    params: dict[str, Any] = {"limit": limit, "after": after, "before": before}
    for name, values in (
        ("project_ids[]", project_ids),
        ("event_types[]", event_types),
        ("actor_ids[]", actor_ids),
        ("actor_emails[]", actor_emails),
        ("resource_ids[]", resource_ids),
    ):
        params[name] = list(values) if values else None
    for bound, value in (effective_at or {}).items():
        params[f"effective_at[{bound}]"] = value
    return ListCall("GET", "/organization/audit_logs", AuditLog.model_validate, params=params)


def list_invites(limit: int | None = None, after: str | None = None) -> ListCall[Invite]:
    params = {"limit": limit, "after": after}
    return ListCall("GET", "/organization/invites", Invite.model_validate, params=params)


def create_invite(email: str, role: str) -> ApiCall[Invite]:
    """Invite someone; a lost answer is reconciled by finding a pending invite to that address,
    with that role, sent since."""

    def same(invite: Invite) -> bool:
        return invite.email == email and invite.role == role and invite.status in (None, "pending")

    reconcile: Reconcile[Invite] = Reconcile(
        list_invites(), same, what=f"an invite to {email}", made_at="invited_at"
    )
    body = {"email": email, "role": role}
    return ApiCall("POST", "/organization/invites", Invite.model_validate, json=body, reconcile=reconcile)


def get_invite(invite_id: str) -> ApiCall[Invite]:
    return ApiCall("GET", f"/organization/invites/{segment(invite_id)}", Invite.model_validate)


def delete_invite(invite_id: str) -> ApiCall[DeletedObject]:
    return ApiCall("DELETE", f"/organization/invites/{segment(invite_id)}", DeletedObject.model_validate)


def list_users(limit: int | None = None, after: str | None = None) -> ListCall[User]:
    params = {"limit": limit, "after": after}
    return ListCall("GET", "/organization/users", User.model_validate, params=params)


def get_user(user_id: str) -> ApiCall[User]:
    return ApiCall("GET", f"/organization/users/{segment(user_id)}", User.model_validate)


def update_user(user_id: str, role: str) -> ApiCall[User]:
    path = f"/organization/users/{segment(user_id)}"
    return ApiCall("POST", path, User.model_validate, json={"role": role}, repeatable=True)


def delete_user(user_id: str) -> ApiCall[DeletedObject]:
    return ApiCall("DELETE", f"/organization/users/{segment(user_id)}", DeletedObject.model_validate)


def list_projects(
    limit: int | None = None, after: str | None = None, include_archived: bool | None = None
) -> ListCall[Project]:
    archived = None if include_archived is None else str(include_archived).lower()
    params = {"limit": limit, "after": after, "include_archived": archived}
    return ListCall("GET", "/organization/projects", Project.model_validate, params=params)


def create_project(name: str) -> ApiCall[Project]:
    """Create a project; a lost answer is reconciled by finding an active project of that name made since."""
    reconcile: Reconcile[Project] = Reconcile(
        list_projects(), lambda project: project.name == name, what=f"project {name!r}"
    )
    return ApiCall(
        "POST", "/organization/projects", Project.model_validate, json={"name": name}, reconcile=reconcile
    )


def get_project(project_id: str) -> ApiCall[Project]:
    return ApiCall("GET", _project(project_id), Project.model_validate)


def update_project(project_id: str, name: str) -> ApiCall[Project]:
    return ApiCall("POST", _project(project_id), Project.model_validate, json={"name": name}, repeatable=True)


def archive_project(project_id: str) -> ApiCall[Project]:
    return ApiCall("POST", f"{_project(project_id)}/archive", Project.model_validate, repeatable=True)


def list_project_users(
    project_id: str, limit: int | None = None, after: str | None = None
) -> ListCall[ProjectUser]:
    params = {"limit": limit, "after": after}
    return ListCall("GET", f"{_project(project_id)}/users", ProjectUser.model_validate, params=params)


def create_project_user(project_id: str, user_id: str, role: str) -> ApiCall[ProjectUser]:
    """Add a member; a lost answer is reconciled by reading that member, added since with that role
    (someone who was a member before is not taken for the one this call added)."""
    body = {"user_id": user_id, "role": role}
    added: Reconcile[ProjectUser] = Reconcile(
        get_project_user(project_id, user_id),
        lambda member: member.role == role,
        what=f"member {user_id}",
        made_at="added_at",
    )
    path = f"{_project(project_id)}/users"
    return ApiCall("POST", path, ProjectUser.model_validate, json=body, reconcile=added)


def get_project_user(project_id: str, user_id: str) -> ApiCall[ProjectUser]:
    return ApiCall("GET", f"{_project(project_id)}/users/{segment(user_id)}", ProjectUser.model_validate)


def update_project_user(project_id: str, user_id: str, role: str) -> ApiCall[ProjectUser]:
    path = f"{_project(project_id)}/users/{segment(user_id)}"
    return ApiCall("POST", path, ProjectUser.model_validate, json={"role": role}, repeatable=True)


def delete_project_user(project_id: str, user_id: str) -> ApiCall[DeletedObject]:
    return ApiCall("DELETE", f"{_project(project_id)}/users/{segment(user_id)}", DeletedObject.model_validate)


def list_project_service_accounts(
    project_id: str, limit: int | None = None, after: str | None = None
) -> ListCall[ProjectServiceAccount]:
    params = {"limit": limit, "after": after}
    path = f"{_project(project_id)}/service_accounts"
    return ListCall("GET", path, ProjectServiceAccount.model_validate, params=params)


def create_project_service_account(
    project_id: str, name: str
) -> ApiCall[ProjectServiceAccountCreateResponse]:
    """Create a service account; the answer holds its API key, shown this once.

    So a lost answer cannot be reconciled (the account could be found, its key never again):
    it raises `AnswerLostError` instead of making a second account.
    """
    path = f"{_project(project_id)}/service_accounts"
    return ApiCall("POST", path, ProjectServiceAccountCreateResponse.model_validate, json={"name": name})


def get_project_service_account(project_id: str, service_account_id: str) -> ApiCall[ProjectServiceAccount]:
    path = f"{_project(project_id)}/service_accounts/{segment(service_account_id)}"
    return ApiCall("GET", path, ProjectServiceAccount.model_validate)


def delete_project_service_account(project_id: str, service_account_id: str) -> ApiCall[DeletedObject]:
    path = f"{_project(project_id)}/service_accounts/{segment(service_account_id)}"
    return ApiCall("DELETE", path, DeletedObject.model_validate)


def list_project_api_keys(
    project_id: str, limit: int | None = None, after: str | None = None
) -> ListCall[ProjectApiKey]:
    params = {"limit": limit, "after": after}
    return ListCall("GET", f"{_project(project_id)}/api_keys", ProjectApiKey.model_validate, params=params)


def get_project_api_key(project_id: str, key_id: str) -> ApiCall[ProjectApiKey]:
    return ApiCall("GET", f"{_project(project_id)}/api_keys/{segment(key_id)}", ProjectApiKey.model_validate)


def delete_project_api_key(project_id: str, key_id: str) -> ApiCall[DeletedObject]:
    return ApiCall(
        "DELETE", f"{_project(project_id)}/api_keys/{segment(key_id)}", DeletedObject.model_validate
    )
