"""Reading the audit log: newest first, filtered as `GET /v1/organization/audit_logs` allows, paged by cursor.

Entries are ordered by `effective_at`, newest first, and among entries of the same second by
when they were written, last first, so entries seeded into the past fall into place. Each
filter narrows the list; within one filter any value matches (`event_types[]=a&event_types[]=b`
is a or b); filters combine with and. The cursors (`after`, `before`) name entries of the whole
log, so a page can start after an entry the filters leave out.

Refused with a 400 naming the parameter: an event type outside the spec's list, a limit outside
1..100, a cursor naming no entry (and, by the route, an `effective_at` bound that is not an
integer or not one of `gt`, `gte`, `lt`, `lte`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field

from airflow_openai.emulator.core.errors import bad_request
from airflow_openai.emulator.core.listing import page
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.organization import audit_log

BOUNDS: dict[str, Callable[[int, int], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


@dataclass
class AuditFilter:
    """The list's filters; an empty list or a missing bound does not filter."""

    effective_at: dict[str, int] = field(default_factory=dict)
    project_ids: list[str] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)
    actor_ids: list[str] = field(default_factory=list)
    actor_emails: list[str] = field(default_factory=list)
    resource_ids: list[str] = field(default_factory=list)

    def check(self) -> AuditFilter:
        for event_type in self.event_types:
            if event_type not in audit_log.EVENT_TYPES:
                raise bad_request(
                    f"Invalid value for 'event_types[]': '{event_type}' is not one of {list(audit_log.EVENT_TYPES)}.",
                    param="event_types[]",
                    code="invalid_value",
                )
        return self

    def keeps(self, entry: Obj) -> bool:
        when = entry["effective_at"]
        if not all(BOUNDS[name](when, bound) for name, bound in self.effective_at.items()):
            return False
        if self.project_ids and entry.get("_project_id") not in self.project_ids:
            return False
        if self.event_types and entry["type"] not in self.event_types:
            return False
        if self.actor_ids and not set(entry["_actor_ids"]) & set(self.actor_ids):
            return False
        emails = {email.casefold() for email in self.actor_emails}
        if emails and not {email.casefold() for email in entry["_actor_emails"]} & emails:
            return False
        return not self.resource_ids or entry.get("_resource_id") in self.resource_ids


def entries(state: EmulatorState) -> list[Obj]:
    """The whole log, newest first."""
    written_last_first = state.store.all(audit_log.KIND, newest_first=True)
    return sorted(written_last_first, key=lambda entry: -entry["effective_at"])


def listing(
    state: EmulatorState,
    wanted: AuditFilter,
    *,
    limit: int,
    after: str | None,
    before: str | None,
) -> Obj:
    return page(entries(state), limit=limit, after=after, before=before, keep=wanted.check().keeps)
