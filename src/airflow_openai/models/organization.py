"""Organization administration (`/organization/*`, admin keys only)."""

from __future__ import annotations

from typing import Any, Literal

from airflow_openai.models.base import OpenAIObject


class AuditLogProject(OpenAIObject):
    id: str | None = None
    name: str | None = None


class AuditLog(OpenAIObject):
    """One audited event. Its payload sits under a key named as its `type` (see `details`)."""

    id: str
    type: str
    effective_at: int
    project: AuditLogProject | None = None
    actor: dict[str, Any]

    @property
    def details(self) -> dict[str, Any] | None:
        """The event's own payload, e.g. the `api_key.created` object of an `api_key.created` event."""
        extra = self.model_extra or {}
        value = extra.get(self.type)
        return value if isinstance(value, dict) else None


class Invite(OpenAIObject):
    id: str
    object: Literal["organization.invite"] = "organization.invite"
    email: str
    role: Literal["owner", "reader"] | str
    status: Literal["accepted", "expired", "pending"] | str | None = None
    """Required by the spec but missing from its own create-invite example."""
    invited_at: int
    expires_at: int
    accepted_at: int | None = None


class User(OpenAIObject):
    id: str
    object: Literal["organization.user"] = "organization.user"
    name: str
    email: str
    role: Literal["owner", "reader"] | str
    added_at: int


class Project(OpenAIObject):
    id: str
    object: Literal["organization.project"] = "organization.project"
    name: str
    created_at: int
    archived_at: int | None = None
    status: Literal["active", "archived"] | str
    app_use_case: str | None = None
    business_website: str | None = None


class ProjectUser(OpenAIObject):
    id: str
    object: Literal["organization.project.user"] = "organization.project.user"
    name: str | None = None
    """Required by the spec but missing from its own add-user example."""
    email: str
    role: Literal["owner", "member"] | str
    added_at: int


class ProjectServiceAccount(OpenAIObject):
    id: str
    object: Literal["organization.project.service_account"] = "organization.project.service_account"
    name: str
    role: Literal["owner", "member"] | str
    created_at: int


class ProjectServiceAccountApiKey(OpenAIObject):
    """The key of a new service account. Its `value` is a secret shown only once."""

    id: str
    object: Literal["organization.project.service_account.api_key"] = (
        "organization.project.service_account.api_key"
    )
    value: str
    name: str | None = None
    created_at: int


class ProjectServiceAccountCreateResponse(OpenAIObject):
    id: str
    object: Literal["organization.project.service_account"] = "organization.project.service_account"
    name: str
    role: Literal["owner", "member"] | str
    created_at: int
    api_key: ProjectServiceAccountApiKey


class ProjectApiKeyOwner(OpenAIObject):
    type: Literal["user", "service_account"] | str | None = None
    user: ProjectUser | None = None
    service_account: ProjectServiceAccount | None = None


class ProjectApiKey(OpenAIObject):
    id: str
    object: Literal["organization.project.api_key"] = "organization.project.api_key"
    redacted_value: str
    name: str
    created_at: int
    last_used_at: int | None = None
    """When the key was last used (Unix seconds), None if never: sent by the API and read by its
    SDK, though the spec leaves it out."""
    owner: ProjectApiKeyOwner
