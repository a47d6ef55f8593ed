"""`/v1/organization/projects/{project_id}/users`, `/service_accounts` and `/api_keys`: who and what can use
a project. Each lists oldest first; an archived project answers all of them with a 400. The three are
listed, read and deleted by one set of routes (`HOLDINGS`); see `project_users` and `project_keys` for the
rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.listing import page
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.core.strict import parse
from airflow_openai.emulator.organization import project_keys, project_users
from airflow_openai.emulator.organization.organization_bodies import (
    ProjectServiceAccountCreateRequest,
    ProjectUserCreateRequest,
    ProjectUserUpdateRequest,
)
from airflow_openai.emulator.organization.route_params import JsonBody, State

router = APIRouter(prefix="/organization/projects/{project_id}")


def _as_is(obj: Obj) -> Obj:
    """Already rendered (a key's `last_used_at` stays null rather than dropped)."""
    return obj


@dataclass(frozen=True)
class Holding:
    """One kind of thing a project holds, as its routes serve it. Users, service accounts and API keys
    are listed (`GET <path>`), read (`GET <path>/{id}`) and deleted (`DELETE <path>/{id}`) alike:
    through the project, each already rendered by its module, so one set of routes serves all three.
    `name` names the routes (`list_<name>s`, `get_<name>`, `delete_<name>`)."""

    path: str
    name: str
    listed: Callable[[EmulatorState, str], list[Obj]]
    shown: Callable[[EmulatorState, str, str], Obj]
    deleted: Callable[[EmulatorState, str, str], Obj]


HOLDINGS = (
    Holding("/users", "project_user", project_users.members, project_users.get_member, project_users.remove),
    Holding(
        "/service_accounts",
        "service_account",
        project_keys.accounts,
        project_keys.get_account,
        project_keys.delete_account,
    ),
    Holding("/api_keys", "api_key", project_keys.keys, project_keys.get_key, project_keys.delete_key),
)
"""(path, route name, list, read, delete) of each kind a project holds."""


def _serve(holding: Holding) -> None:
    """Add the list, read and delete routes of `holding` to the router."""

    async def list_held(project_id: str, state: State, limit: int = 20, after: str | None = None) -> Any:
        listed = await run_in_threadpool(holding.listed, state, project_id)
        return page(listed, limit=limit, after=after, render=_as_is)

    async def get_held(project_id: str, object_id: str, state: State) -> Any:
        return await run_in_threadpool(holding.shown, state, project_id, object_id)

    async def delete_held(project_id: str, object_id: str, state: State) -> Any:
        return await run_in_threadpool(holding.deleted, state, project_id, object_id)

    one = f"{holding.path}/{{object_id}}"
    router.add_api_route(holding.path, list_held, methods=["GET"], name=f"list_{holding.name}s")
    router.add_api_route(one, get_held, methods=["GET"], name=f"get_{holding.name}")
    router.add_api_route(one, delete_held, methods=["DELETE"], name=f"delete_{holding.name}")


for _holding in HOLDINGS:
    _serve(_holding)


@router.post("/users")
async def add_project_user(project_id: str, body: JsonBody, state: State) -> Any:
    request = parse(ProjectUserCreateRequest, body)
    return await run_in_threadpool(project_users.add, state, project_id, request.user_id, request.role)


@router.post("/users/{user_id}")
async def modify_project_user(project_id: str, user_id: str, body: JsonBody, state: State) -> Any:
    role = parse(ProjectUserUpdateRequest, body).role
    return await run_in_threadpool(project_users.update, state, project_id, user_id, role)


@router.post("/service_accounts")
async def create_service_account(project_id: str, body: JsonBody, state: State) -> Any:
    name = parse(ProjectServiceAccountCreateRequest, body).name
    return await run_in_threadpool(project_keys.create_account, state, project_id, name)
