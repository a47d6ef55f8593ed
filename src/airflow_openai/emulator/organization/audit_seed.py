"""A past for the audit log: entries spread over the last hours, for examples and tests of exports.

`seed_activity(state, hours=24, events_per_hour=10)` writes `hours * events_per_hour`
entries, `events_per_hour` in each past hour at times drawn at random within it (all before
now on the emulator clock, none in the future), repeatable for a given `seed`. The mix reads
like a working day: mostly logins and logouts of the organization's users (a few failed),
some API key changes in its active projects, now and then an organization setting change.
Entries only: users, projects and keys are left as they are, so the seeded keys' ids name
keys that no longer exist, as in a real log.
"""

from __future__ import annotations

import random
from typing import Any

from airflow_openai.emulator.core.errors import bad_request
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.organization import audit_log
from airflow_openai.emulator.organization import organization as org

MIX = (
    ("login.succeeded", 40),
    ("logout.succeeded", 20),
    ("login.failed", 8),
    ("logout.failed", 2),
    ("api_key.created", 10),
    ("api_key.updated", 10),
    ("api_key.deleted", 5),
    ("organization.updated", 5),
)
SCOPES: tuple[list[str], ...] = (
    ["api.model.request"],
    ["api.files.read", "api.files.write"],
    ["api.all.read"],
    [],
)
ORGANIZATION_CHANGES: tuple[dict[str, Any], ...] = (
    {"title": "Emulated organization"},
    {"settings": {"threads_ui_visibility": "OWNERS"}},
    {"settings": {"usage_dashboard_visibility": "ANY_ROLE"}},
)


def seed_activity(
    state: EmulatorState, *, hours: int, events_per_hour: int, seed: int | None, limit: int
) -> dict[str, Any]:
    """Write the entries; returns how many and the span `[since, until)` they cover."""
    if hours * events_per_hour > limit:
        raise bad_request(
            f"hours * events_per_hour is at most {limit}, not {hours * events_per_hour}.",
            param="events_per_hour",
            code="invalid_value",
        )
    rng = random.Random(seed)
    org.ensure(state)
    users = org.oldest_first(state, org.USER)
    projects = [p for p in org.oldest_first(state, org.PROJECT) if p["status"] == "active"]
    until = state.now()
    since = until - hours * 3600
    times = sorted(
        since + hour * 3600 + rng.randrange(3600) for hour in range(hours) for _ in range(events_per_hour)
    )
    types = [name for name, _ in MIX]
    weights = [weight for _, weight in MIX]
    entries = [
        _entry(state, rng, rng.choices(types, weights)[0], rng.choice(users), projects, when)
        for when in times
    ]
    state.store.put_new(audit_log.KIND, entries)
    return {"written": len(times), "since": since, "until": until}


def _entry(
    state: EmulatorState, rng: random.Random, event_type: str, user: Obj, projects: list[Obj], when: int
) -> Obj:
    if event_type in audit_log.SESSION_EVENTS:
        failure = dict(audit_log.SESSION_FAILURE) if event_type.endswith("failed") else None
        actor = audit_log.session_actor(user)
        return audit_log.build(state, audit_log.Event(event_type, actor, failure, effective_at=when))
    actor = rng.choice([audit_log.session_actor(user), audit_log.key_actor(org.owner(state))])
    payload: dict[str, Any]
    if event_type == "organization.updated":
        payload = {"id": org.ORG_ID, "changes_requested": rng.choice(ORGANIZATION_CHANGES)}
        return audit_log.build(state, audit_log.Event(event_type, actor, payload, effective_at=when))
    payload = {"id": state.ids.new("key_", 16)}
    if event_type == "api_key.created":
        payload["data"] = {"scopes": rng.choice(SCOPES)}
    elif event_type == "api_key.updated":
        payload["changes_requested"] = {"scopes": rng.choice(SCOPES)}
    project = rng.choice(projects)
    return audit_log.build(state, audit_log.Event(event_type, actor, payload, project, when))
