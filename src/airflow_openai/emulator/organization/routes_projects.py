"""`/v1/organization/projects`: create, list (archived ones only with `include_archived=true`), retrieve,
modify, archive. Projects list oldest first, the default project first; see `organization_projects`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.listing import page
from airflow_openai.emulator.core.strict import parse
from airflow_openai.emulator.organization import directory
from airflow_openai.emulator.organization import organization_projects as projects
from airflow_openai.emulator.organization.directory import PROJECTS
from airflow_openai.emulator.organization.organization import render_project
from airflow_openai.emulator.organization.organization_bodies import (
    ProjectCreateRequest,
    ProjectUpdateRequest,
)
from airflow_openai.emulator.organization.route_params import JsonBody, State

router = APIRouter(prefix="/organization")


@router.get("/projects")
async def list_projects(
    state: State, limit: int = 20, after: str | None = None, include_archived: bool = False
) -> Any:
    listed = await run_in_threadpool(projects.projects, state, include_archived)
    return page(listed, limit=limit, after=after, render=render_project)


@router.post("/projects")
async def create_project(body: JsonBody, state: State) -> Any:
    fields = parse(ProjectCreateRequest, body).model_dump(exclude_none=True)
    return render_project(await run_in_threadpool(projects.create_project, state, fields))


@router.get("/projects/{project_id}")
async def get_project(project_id: str, state: State) -> Any:
    return render_project(await run_in_threadpool(directory.get_or_404, state, PROJECTS, project_id))


@router.post("/projects/{project_id}")
async def modify_project(project_id: str, body: JsonBody, state: State) -> Any:
    fields = parse(ProjectUpdateRequest, body).model_dump(exclude_none=True)
    return render_project(await run_in_threadpool(projects.update_project, state, project_id, fields))


@router.post("/projects/{project_id}/archive")
async def archive_project(project_id: str, state: State) -> Any:
    return render_project(await run_in_threadpool(projects.archive_project, state, project_id))
