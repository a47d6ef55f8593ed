"""`GET /v1/organization/audit_logs`: the organization's audit log, newest first, with the spec's filters
(`effective_at[gt|gte|lt|lte]`, `project_ids[]`, `event_types[]`, `actor_ids[]`, `actor_emails[]`,
`resource_ids[]`) and cursors both ways (`after`, `before`). See `audit_query` for the rules."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.errors import bad_request
from airflow_openai.emulator.organization.audit_query import BOUNDS, AuditFilter, listing
from airflow_openai.emulator.organization.route_params import State

router = APIRouter(prefix="/organization")

KNOWN_BOUNDS = {f"effective_at[{name}]" for name in BOUNDS}


@router.get("/audit_logs")
async def list_audit_logs(
    request: Request,
    state: State,
    limit: int = 20,
    after: str | None = None,
    before: str | None = None,
    gt: Annotated[int | None, Query(alias="effective_at[gt]")] = None,
    gte: Annotated[int | None, Query(alias="effective_at[gte]")] = None,
    lt: Annotated[int | None, Query(alias="effective_at[lt]")] = None,
    lte: Annotated[int | None, Query(alias="effective_at[lte]")] = None,
    project_ids: Annotated[list[str] | None, Query(alias="project_ids[]")] = None,
    event_types: Annotated[list[str] | None, Query(alias="event_types[]")] = None,
    actor_ids: Annotated[list[str] | None, Query(alias="actor_ids[]")] = None,
    actor_emails: Annotated[list[str] | None, Query(alias="actor_emails[]")] = None,
    resource_ids: Annotated[list[str] | None, Query(alias="resource_ids[]")] = None,
) -> Any:
    _refuse_unknown_bounds(request)
    given = (("gt", gt), ("gte", gte), ("lt", lt), ("lte", lte))
    wanted = AuditFilter(
        effective_at={name: value for name, value in given if value is not None},
        project_ids=project_ids or [],
        event_types=event_types or [],
        actor_ids=actor_ids or [],
        actor_emails=actor_emails or [],
        resource_ids=resource_ids or [],
    )
    return await run_in_threadpool(listing, state, wanted, limit=limit, after=after, before=before)


def _refuse_unknown_bounds(request: Request) -> None:
    """`effective_at` alone or with a bound other than gt, gte, lt, lte would otherwise be ignored."""
    for key in request.query_params:
        if key.startswith("effective_at") and key not in KNOWN_BOUNDS:
            raise bad_request(
                f"Unknown parameter: '{key}'. Bound effective_at with effective_at[gt], [gte], [lt] or [lte].",
                param=key,
                code="unknown_parameter",
            )
