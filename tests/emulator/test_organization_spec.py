"""Every `/v1/organization/*` answer of the emulator, success or error, validates against the spec's schema for
its path and status, read closed: a field the schema does not name is an error too, so a misspelt field
cannot hide."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from airflow_openai.emulator.organization.organization import DEFAULT_KEY_ID, DEFAULT_PROJECT_ID, OWNER_ID
from tests.support.spec import load_spec, response_validator, spec_operation

EMPTY_LIST = "an empty list has no first or last id: the service sends null, the schema wants a string"
# Faults of the spec itself, not of the emulator: each (schema, message, field with `*` for any index) is
# left out of the check, with the reason.
SPEC_DEFECTS = {
    **{
        (schema, "None is not of type 'string'", field): EMPTY_LIST
        for schema in (
            "ProjectUserListResponse",
            "ProjectServiceAccountListResponse",
            "ProjectApiKeyListResponse",
            "ListAuditLogsResponse",
        )
        for field in ("first_id", "last_id")
    },
    (
        "ProjectApiKeyListResponse",
        "Additional properties are not allowed ('last_used_at' was unexpected)",
        "data.*",
    ): "the schema lacks `last_used_at`, which the service sends and the SDK reads",
    (
        "ProjectApiKey",
        "Additional properties are not allowed ('last_used_at' was unexpected)",
        "",
    ): "the schema lacks `last_used_at`, which the service sends and the SDK reads",
    (
        "ListAuditLogsResponse",
        "Additional properties are not allowed ('user_agent' was unexpected)",
        "data.*.actor.session",
    ): "AuditLogActorSession lacks `user_agent`, which the spec's own examples show",
}


def _closed(node: Any) -> Any:
    """Each object schema that lists its properties refuses others."""
    if isinstance(node, list):
        return [_closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    closed = {key: _closed(value) for key, value in node.items()}
    if "properties" in node and "$ref" not in node and "additionalProperties" not in node:
        closed["additionalProperties"] = False
    return closed


@pytest.fixture
def checked(emu):
    """An admin-key httpx client whose every JSON answer is checked against the closed spec."""
    spec = load_spec()
    closed = copy.deepcopy(spec)
    closed["components"]["schemas"] = _closed(closed["components"]["schemas"])
    validators: dict[str, Any] = {}
    seen: list[str] = []
    excused: set[tuple[str, str, str]] = set()

    def check(response: httpx.Response) -> None:
        response.read()
        template, operation = spec_operation(spec, response.request.method, response.request.url.path)
        status = str(response.status_code)
        if status.startswith("2"):
            schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
            name = schema["$ref"].rsplit("/", 1)[-1]
        else:
            name = "ErrorResponse"
        validator = validators.setdefault(name, response_validator(closed, name))
        errors = []
        for error in validator.iter_errors(response.json()):
            where = ".".join("*" if isinstance(part, int) else part for part in error.absolute_path)
            key = (name, error.message, where)
            if key in SPEC_DEFECTS:
                excused.add(key)
            else:
                errors.append(error)
        assert not errors, (
            f"{response.request.method} {template} -> {status} breaks {name}: "
            f"{errors[0].message} at {list(errors[0].absolute_path)}"
        )
        seen.append(f"{response.request.method} {template} {status}")

    emu.set_speed(0)
    client = httpx.Client(
        base_url=emu.base_url + "/",
        headers={"Authorization": f"Bearer {emu.admin_key}"},
        event_hooks={"response": [check]},
    )
    yield client, seen, excused
    client.close()


def test_organization_answers_validate_against_the_spec(checked, emu):
    client, seen, excused = checked
    org = "organization"

    client.get(f"{org}/audit_logs")  # empty
    invite = client.post(f"{org}/invites", json={"email": "ana@example.com", "role": "reader"}).json()
    client.get(f"{org}/invites")
    client.get(f"{org}/invites/{invite['id']}")
    user = emu.accept_invite(invite["id"])["user"]
    client.get(f"{org}/invites/{invite['id']}")
    other = client.post(f"{org}/invites", json={"email": "bo@example.com", "role": "owner"}).json()
    client.delete(f"{org}/invites/{other['id']}")
    client.get(f"{org}/users", params={"limit": 1})
    client.get(f"{org}/users/{user['id']}")
    client.post(f"{org}/users/{user['id']}", json={"role": "owner"})

    project = client.post(
        f"{org}/projects",
        json={"name": "Ops", "app_use_case": "ETL", "business_website": "https://example.com"},
    ).json()
    path = f"{org}/projects/{project['id']}"
    client.get(f"{org}/projects", params={"include_archived": "true"})
    client.get(path)
    client.post(path, json={"name": "Ops v2"})
    client.get(f"{path}/users")  # empty
    client.get(f"{path}/service_accounts")  # empty
    client.get(f"{path}/api_keys")  # empty
    client.post(f"{path}/users", json={"user_id": user["id"], "role": "member"})
    client.get(f"{path}/users")
    client.get(f"{path}/users/{user['id']}")
    client.post(f"{path}/users/{user['id']}", json={"role": "owner"})
    account = client.post(f"{path}/service_accounts", json={"name": "bot"}).json()
    client.get(f"{path}/service_accounts")
    client.get(f"{path}/service_accounts/{account['id']}")
    client.get(f"{path}/api_keys")
    client.get(f"{path}/api_keys/{account['api_key']['id']}")
    client.get(f"{org}/projects/{DEFAULT_PROJECT_ID}/api_keys/{DEFAULT_KEY_ID}")
    client.delete(f"{path}/api_keys/{account['api_key']['id']}")  # a service account's key: 400
    client.delete(f"{path}/service_accounts/{account['id']}")
    client.delete(f"{path}/users/{user['id']}")
    client.delete(f"{org}/projects/{DEFAULT_PROJECT_ID}/api_keys/{DEFAULT_KEY_ID}")
    client.post(f"{path}/archive")
    client.get(f"{path}/users")  # archived: 400
    client.delete(f"{org}/users/{user['id']}")

    emu.login()
    emu.login("owner@example.com", succeeded=False)
    emu.audit_event("organization.updated", payload={"id": "org-1", "changes_requested": {"title": "Acme"}})
    emu.audit_event(
        "api_key.created", project_id=DEFAULT_PROJECT_ID, payload={"id": "key_1", "data": {"scopes": []}}
    )
    emu.seed_organization_activity(hours=2, events_per_hour=30)
    client.get(f"{org}/audit_logs", params={"limit": 100})
    client.get(f"{org}/audit_logs", params={"limit": 1, "event_types[]": "login.succeeded"})

    client.get(f"{org}/users/user-nope")
    client.get(f"{org}/invites/invite-nope")
    client.get(f"{org}/projects/proj_nope")
    client.get(f"{org}/projects/{DEFAULT_PROJECT_ID}/users/user-nope")
    client.get(f"{org}/projects/{DEFAULT_PROJECT_ID}/service_accounts/svc_acct_nope")
    client.delete(f"{org}/projects/{DEFAULT_PROJECT_ID}/api_keys/key_nope")
    client.post(f"{org}/projects", json={"name": ""})
    client.post(f"{org}/users/{OWNER_ID}", json={"role": "reader"})
    client.get(f"{org}/audit_logs", params={"effective_at[gt]": "x"})
    client.get(f"{org}/audit_logs", params={"limit": 0})
    client.get(f"{org}/users", headers={"Authorization": f"Bearer {emu.api_key}"})  # 403

    templates = {entry.rsplit(" ", 1)[0] for entry in seen}
    organization_operations = {
        f"{method.upper()} {template}"
        for template, item in load_spec()["paths"].items()
        if template.startswith("/organization/")
        for method in item
        if method in ("get", "post", "delete")
    }
    assert templates == organization_operations and len(templates) == 26  # every organization operation
    assert {entry.rsplit(" ", 1)[-1] for entry in seen} == {"200", "400", "403", "404"}
    assert excused == set(SPEC_DEFECTS)  # each excuse is still needed
