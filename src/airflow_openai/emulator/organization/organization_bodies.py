"""The request bodies of `/v1/organization/*` and of its control-plane actions, read strictly.

Exactly the spec's fields: any other (the newer SDK's `projects` on an invite, `email` on a
project user, `geography` on a project...) is a 400 `unknown_parameter`, a role outside the
spec's enum an `invalid_value`, a wrong type an `invalid_type`, each naming the parameter.
They are read by `core.strict.parse`, whose refusals carry the service's wording.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from airflow_openai.emulator.organization.audit_log import EVENT_TYPES

NonEmpty = Annotated[str, Field(min_length=1)]

MAX_SEEDED_EVENTS = 50_000


class _Body(BaseModel):
    """No coercion (`1` is not a string) and no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class InviteRequest(_Body):
    email: Annotated[str, Field(min_length=3, pattern=r"^[^@\s]+@[^@\s]+$")]
    role: Literal["reader", "owner"]


class UserRoleUpdateRequest(_Body):
    role: Literal["owner", "reader"]


class ProjectCreateRequest(_Body):
    name: NonEmpty
    app_use_case: str | None = None
    business_website: str | None = None


class ProjectUpdateRequest(ProjectCreateRequest):
    """The spec requires `name` here too."""


class ProjectUserCreateRequest(_Body):
    user_id: NonEmpty
    role: Literal["owner", "member"]


class ProjectUserUpdateRequest(_Body):
    role: Literal["owner", "member"]


class ProjectServiceAccountCreateRequest(_Body):
    name: NonEmpty


EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]


class AuditEventRequest(_Body):
    """`POST /_emulator/organization/audit_logs`: write an entry as if it had happened.

    `email` names the organization user acting in a session (the owner by default for logins
    and logouts); without it, other events are the admin key's. `effective_at` defaults to now
    and cannot be in the future."""

    type: EventType
    email: NonEmpty | None = None
    project_id: NonEmpty | None = None
    payload: dict[str, Any] | None = None
    effective_at: Annotated[int, Field(ge=0)] | None = None


class ActivityRequest(_Body):
    """`POST /_emulator/organization/activity`: a past of `hours` hours with `events_per_hour` entries each."""

    hours: Annotated[int, Field(ge=1, le=24 * 90)] = 24
    events_per_hour: Annotated[int, Field(ge=1, le=3600)] = 10
    seed: int | None = 0
