"""`/v1/organization/projects/{project_id}/users`, `/service_accounts` and `/api_keys`: who and what can use
a project. Each lists oldest first; an archived project answers all of them with a 400. See
`project_users` and `project_keys` for the rules."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.listing import page
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj, public
from airflow_openai.emulator.core.strict import parse
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.organization import project_keys, project_users
from airflow_openai.emulator.organization.organization_bodies import (
    ProjectServiceAccountCreateRequest,
    ProjectUserCreateRequest,
    ProjectUserUpdateRequest,
)

router = APIRouter(prefix="/organization/projects/{project_id}")


def _as_is(obj: Obj) -> Obj:
    """Already rendered (a key's `last_used_at` stays null rather than dropped)."""
    return obj


@router.get("/users")
async def list_project_users(
    project_id: str, limit: int = 20, after: str | None = None, state: EmulatorState = Depends(emulator)
) -> Any:
    listed = await run_in_threadpool(project_users.members, state, project_id)
    return page(listed, limit=limit, after=after, render=_as_is)


@router.post("/users")
async def add_project_user(
    project_id: str, body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
    request = parse(ProjectUserCreateRequest, body)
    return await run_in_threadpool(project_users.add, state, project_id, request.user_id, request.role)


@router.get("/users/{user_id}")
async def get_project_user(project_id: str, user_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    member = await run_in_threadpool(project_users.member_or_404, state, project_id, user_id)
    return project_users.render(state, member)


@router.post("/users/{user_id}")
async def modify_project_user(
    project_id: str, user_id: str, body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
    role = parse(ProjectUserUpdateRequest, body).role
    return await run_in_threadpool(project_users.update, state, project_id, user_id, role)


@router.delete("/users/{user_id}")
async def delete_project_user(project_id: str, user_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    return await run_in_threadpool(project_users.remove, state, project_id, user_id)


@router.get("/service_accounts")
async def list_service_accounts(
    project_id: str, limit: int = 20, after: str | None = None, state: EmulatorState = Depends(emulator)
) -> Any:
    listed = await run_in_threadpool(project_keys.accounts, state, project_id)
    return page(listed, limit=limit, after=after)


@router.post("/service_accounts")
async def create_service_account(
    project_id: str, body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
    name = parse(ProjectServiceAccountCreateRequest, body).name
    return await run_in_threadpool(project_keys.create_account, state, project_id, name)


@router.get("/service_accounts/{service_account_id}")
async def get_service_account(
    project_id: str, service_account_id: str, state: EmulatorState = Depends(emulator)
) -> Any:
    return public(await run_in_threadpool(project_keys.account_or_404, state, project_id, service_account_id))


@router.delete("/service_accounts/{service_account_id}")
async def delete_service_account(
    project_id: str, service_account_id: str, state: EmulatorState = Depends(emulator)
) -> Any:
    return await run_in_threadpool(project_keys.delete_account, state, project_id, service_account_id)


@router.get("/api_keys")
async def list_api_keys(
    project_id: str, limit: int = 20, after: str | None = None, state: EmulatorState = Depends(emulator)
) -> Any:
    listed = await run_in_threadpool(project_keys.keys, state, project_id)
    return page(listed, limit=limit, after=after, render=_as_is)


@router.get("/api_keys/{key_id}")
async def get_api_key(project_id: str, key_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    key = await run_in_threadpool(project_keys.key_or_404, state, project_id, key_id)
    return project_keys.render_key(state, key)


@router.delete("/api_keys/{key_id}")
async def delete_api_key(project_id: str, key_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    return await run_in_threadpool(project_keys.delete_key, state, project_id, key_id)
