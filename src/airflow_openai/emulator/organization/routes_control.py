"""The organization's control plane under `/_emulator/organization/`: what happens outside the API.

- `POST /invites/{invite_id}/accept`: the invitee accepts (`invite.accepted` and `user.added`);
  answers `{"invite", "user"}`. A 404 for no such invite, a 400 unless it is pending.
- `POST /audit_logs`: write one entry as if it had happened (`AuditEventRequest`), e.g. a
  failed login, an `organization.updated` the API cannot make; answers the entry.
- `POST /activity`: seed a past of entries (`ActivityRequest`, see `audit_seed`).

Like the rest of the control plane it needs no key, and refuses a bad body with a 400
naming the field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.errors import bad_request, not_found
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj, public
from airflow_openai.emulator.core.strict import parse
from airflow_openai.emulator.organization import audit_log, directory
from airflow_openai.emulator.organization import organization as org
from airflow_openai.emulator.organization import organization_people as people
from airflow_openai.emulator.organization.audit_seed import seed_activity
from airflow_openai.emulator.organization.directory import PROJECTS
from airflow_openai.emulator.organization.organization_bodies import (
    MAX_SEEDED_EVENTS,
    ActivityRequest,
    AuditEventRequest,
)
from airflow_openai.emulator.organization.route_params import JsonBody, State

router = APIRouter(prefix="/_emulator/organization")


@router.post("/invites/{invite_id}/accept")
async def accept_invite(invite_id: str, state: State) -> Any:
    """The invitee accepts the invite: a new organization user, with `invite.accepted` and `user.added`
    logged."""
    invite, user = await run_in_threadpool(people.accept_invite, state, invite_id)
    return {"invite": invite, "user": user}


def _write_event(state: EmulatorState, request: AuditEventRequest) -> Obj:
    user = org.owner(state)
    if request.email is not None:
        found = people.user_by_email(state, request.email)
        if found is None:
            raise not_found("user with email", request.email)
        user = found
    if request.type in audit_log.SESSION_EVENTS or request.email is not None:
        actor = audit_log.session_actor(user)
    else:
        actor = audit_log.key_actor(user)
    project = None
    if request.project_id is not None:
        project = directory.get_or_404(state, PROJECTS, request.project_id)
    now = state.now()
    if request.effective_at is not None and request.effective_at > now:
        raise bad_request(
            f"effective_at {request.effective_at} is in the future (the emulator clock says {now}).",
            param="effective_at",
            code="invalid_value",
        )
    payload = request.payload
    if payload is None and request.type in ("login.failed", "logout.failed"):
        payload = dict(audit_log.SESSION_FAILURE)
    entry = audit_log.record(
        state, audit_log.Event(request.type, actor, payload, project, request.effective_at)
    )
    return public(entry)


@router.post("/audit_logs")
async def write_audit_event(body: JsonBody, state: State) -> Any:
    """Write an audit log entry as if it had happened: `{"type", "email", "project_id", "payload",
    "effective_at"}`."""
    request = parse(AuditEventRequest, body)
    return await run_in_threadpool(_write_event, state, request)


@router.post("/activity")
async def seed_organization_activity(body: JsonBody, state: State) -> Any:
    """Fill the audit log's past: `{"hours", "events_per_hour", "seed"}` of logins, logouts, key and
    settings changes."""
    request = parse(ActivityRequest, body)
    return await run_in_threadpool(
        lambda: seed_activity(
            state,
            hours=request.hours,
            events_per_hour=request.events_per_hour,
            seed=request.seed,
            limit=MAX_SEEDED_EVENTS,
        )
    )
