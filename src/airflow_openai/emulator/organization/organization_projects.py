"""Projects: created, renamed and archived, never deleted (as the service has it).

An archived project refuses every change and every read of what it holds (users, service
accounts, API keys) with the service's 400 `Project <name> is archived`. The default project
can be neither renamed (the spec's 400 for it) nor archived. Archiving an archived project
answers it as it is and logs nothing, so a retried archive whose first answer was lost
still succeeds.
"""

from __future__ import annotations

from typing import Any

from airflow_openai.emulator.core.errors import bad_request
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.organization import directory
from airflow_openai.emulator.organization import organization as org
from airflow_openai.emulator.organization.directory import PROJECTS


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
        project = directory.create(
            state,
            PROJECTS,
            {
                "name": fields["name"],
                "created_at": state.now(),
                "archived_at": None,
                "status": "active",
                **fields,
            },
        )
        title = {"name": project["name"], "title": project["name"]}
        directory.log_change(state, PROJECTS, project, "project.created", data=title)
    return project


def update_project(state: EmulatorState, project_id: str, fields: dict[str, Any]) -> Obj:
    """Rename (and reword the use case or website of) a project; the log's `changes_requested` holds the
    new `title` (the name, as the dashboard shows it) and any other field given."""
    with state.store.locked():
        project = directory.active_project(state, project_id)
        _refuse_default_change(project_id, "modified")
        changes = {"title": fields["name"], **{k: v for k, v in fields.items() if k != "name"}}
        return directory.update(
            state, PROJECTS, project, fields, "project.updated", changes_requested=changes
        )


def archive_project(state: EmulatorState, project_id: str) -> Obj:
    with state.store.locked():
        project = directory.get_or_404(state, PROJECTS, project_id)
        _refuse_default_change(project_id, "archived")
        if project["status"] == "archived":
            return project
        archived = {"status": "archived", "archived_at": state.now()}
        return directory.update(state, PROJECTS, project, archived, "project.archived")


def _refuse_default_change(project_id: str, done: str) -> None:
    """The default project is where the emulator's own key lives: it stays as it was founded."""
    if project_id == org.DEFAULT_PROJECT_ID:
        raise bad_request(f"The default project cannot be {done}.", param="project_id", code="invalid_value")
