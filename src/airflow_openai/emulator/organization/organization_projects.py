"""Projects: created, renamed and archived, never deleted (as the service has it).

An archived project refuses every change and every read of what it holds (users, service
accounts, API keys) with the service's 400 `Project <name> is archived`. The default project
can be neither renamed (the spec's 400 for it) nor archived. Archiving an archived project
answers it as it is and logs nothing, so a retried archive whose first answer was lost
still succeeds.
"""

from __future__ import annotations

from typing import Any

from airflow_openai.emulator.core.errors import bad_request, not_found
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.organization import audit_log
from airflow_openai.emulator.organization import organization as org


def project_or_404(state: EmulatorState, project_id: str) -> Obj:
    org.ensure(state)
    project = state.store.get(org.PROJECT, project_id)
    if project is None:
        raise not_found("project", project_id)
    return project


def active_project(state: EmulatorState, project_id: str) -> Obj:
    """The project, if it exists (404) and is not archived (400)."""
    project = project_or_404(state, project_id)
    if project["status"] == "archived":
        raise bad_request(f"Project {project['name']} is archived", param="project_id", code="invalid_value")
    return project


def projects(state: EmulatorState, include_archived: bool) -> list[Obj]:
    org.ensure(state)
    return [
        project
        for project in org.oldest_first(state, org.PROJECT)
        if include_archived or project["status"] == "active"
    ]


def create_project(state: EmulatorState, fields: dict[str, Any]) -> Obj:
    """`fields`: `name`, and `app_use_case`, `business_website` when given."""
    with state.store.locked():
        org.ensure(state)
        project = state.store.put(
            org.PROJECT,
            {
                "id": state.ids.new("proj_"),
                "object": org.PROJECT,
                "name": fields["name"],
                "created_at": state.now(),
                "archived_at": None,
                "status": "active",
                **fields,
            },
        )
        audit_log.record(
            state,
            "project.created",
            actor=audit_log.key_actor(org.owner(state)),
            payload={"id": project["id"], "data": {"name": project["name"], "title": project["name"]}},
            project=project,
        )
    return project


def update_project(state: EmulatorState, project_id: str, fields: dict[str, Any]) -> Obj:
    """Rename (and reword the use case or website of) a project; the log's `changes_requested` holds the
    new `title` (the name, as the dashboard shows it) and any other field given."""
    with state.store.locked():
        project = active_project(state, project_id)
        if project_id == org.DEFAULT_PROJECT_ID:
            raise bad_request(
                "The default project cannot be modified.", param="project_id", code="invalid_value"
            )
        project.update(fields)
        state.store.put(org.PROJECT, project)
        changes = {"title": fields["name"], **{k: v for k, v in fields.items() if k != "name"}}
        audit_log.record(
            state,
            "project.updated",
            actor=audit_log.key_actor(org.owner(state)),
            payload={"id": project_id, "changes_requested": changes},
            project=project,
        )
    return project


def archive_project(state: EmulatorState, project_id: str) -> Obj:
    with state.store.locked():
        project = project_or_404(state, project_id)
        if project_id == org.DEFAULT_PROJECT_ID:
            raise bad_request(
                "The default project cannot be archived.", param="project_id", code="invalid_value"
            )
        if project["status"] == "archived":
            return project
        project.update(status="archived", archived_at=state.now())
        state.store.put(org.PROJECT, project)
        audit_log.record(
            state,
            "project.archived",
            actor=audit_log.key_actor(org.owner(state)),
            payload={"id": project_id},
            project=project,
        )
    return project
