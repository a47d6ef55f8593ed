"""`/v1/organization/projects`: create, list (archived ones only with `include_archived=true`), retrieve,
modify, archive. Projects list oldest first, the default project first; see `organization_projects`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.listing import page
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.strict import parse
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.organization import organization_projects as projects
from airflow_openai.emulator.organization.organization import render_project
from airflow_openai.emulator.organization.organization_bodies import (
    ProjectCreateRequest,
    ProjectUpdateRequest,
)

router = APIRouter(prefix="/organization")


@router.get("/projects")
async def list_projects(
    limit: int = 20,
    after: str | None = None,
    include_archived: bool = False,
    state: EmulatorState = Depends(emulator),
) -> Any:
    listed = await run_in_threadpool(projects.projects, state, include_archived)
    return page(listed, limit=limit, after=after, render=render_project)


@router.post("/projects")
async def create_project(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    fields = parse(ProjectCreateRequest, body).model_dump(exclude_none=True)
    return render_project(await run_in_threadpool(projects.create_project, state, fields))


@router.get("/projects/{project_id}")
async def get_project(project_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    return render_project(await run_in_threadpool(projects.project_or_404, state, project_id))


@router.post("/projects/{project_id}")
async def modify_project(
    project_id: str, body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
    fields = parse(ProjectUpdateRequest, body).model_dump(exclude_none=True)
    return render_project(await run_in_threadpool(projects.update_project, state, project_id, fields))


@router.post("/projects/{project_id}/archive")
async def archive_project(project_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    return render_project(await run_in_threadpool(projects.archive_project, state, project_id))
