"""`/v1/organization/users` and `/v1/organization/invites`: the organization's users and the invites that add them.

Users list oldest first (the owner first); an invite is accepted on the control plane
(`Emulator.accept_invite`), not through the API. See `organization_people` for the rules.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.listing import page
from airflow_openai.emulator.core.store import public
from airflow_openai.emulator.core.strict import parse
from airflow_openai.emulator.organization import directory
from airflow_openai.emulator.organization import organization_people as people
from airflow_openai.emulator.organization.directory import INVITES, USERS
from airflow_openai.emulator.organization.organization_bodies import InviteRequest, UserRoleUpdateRequest
from airflow_openai.emulator.organization.route_params import JsonBody, State

router = APIRouter(prefix="/organization")


@router.get("/users")
async def list_users(state: State, limit: int = 20, after: str | None = None) -> Any:
    return page(await run_in_threadpool(people.users, state), limit=limit, after=after)


@router.get("/users/{user_id}")
async def get_user(user_id: str, state: State) -> Any:
    return public(await run_in_threadpool(directory.get_or_404, state, USERS, user_id))


@router.post("/users/{user_id}")
async def modify_user(user_id: str, body: JsonBody, state: State) -> Any:
    role = parse(UserRoleUpdateRequest, body).role
    return await run_in_threadpool(people.update_user, state, user_id, role)


@router.delete("/users/{user_id}")
async def delete_user(user_id: str, state: State) -> Any:
    return await run_in_threadpool(people.delete_user, state, user_id)


@router.get("/invites")
async def list_invites(state: State, limit: int = 20, after: str | None = None) -> Any:
    return page(await run_in_threadpool(people.invites, state), limit=limit, after=after)


@router.post("/invites")
async def create_invite(body: JsonBody, state: State) -> Any:
    request = parse(InviteRequest, body)
    return await run_in_threadpool(people.create_invite, state, request.email, request.role)


@router.get("/invites/{invite_id}")
async def get_invite(invite_id: str, state: State) -> Any:
    invite = await run_in_threadpool(directory.get_or_404, state, INVITES, invite_id)
    return people.render_invite(state, invite)


@router.delete("/invites/{invite_id}")
async def delete_invite(invite_id: str, state: State) -> Any:
    return await run_in_threadpool(people.delete_invite, state, invite_id)
