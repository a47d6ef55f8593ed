"""Every `/v1/organization/*` answer of the emulator, success or error, validates against the spec's schema for
its path and status, read closed: a field the schema does not name is an error too, so a misspelt field
cannot hide."""

from __future__ import annotations

import pytest

from airflow_openai.emulator.organization.organization import DEFAULT_KEY_ID, DEFAULT_PROJECT_ID, OWNER_ID
from tests.support.conformance import checked_client, group_operations


@pytest.fixture
def checked(emu):
    """An admin-key client whose every answer is checked against the closed spec."""
    emu.set_speed(0)
    with checked_client(emu, admin=True, closed=True) as (client, checker):
        yield client, checker


def test_organization_answers_validate_against_the_spec(checked, emu):
    client, checker = checked
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

    checker.assert_covers("organization")
    organization_operations = {
        (method.upper(), template)
        for template, item in checker.spec["paths"].items()
        if template.startswith("/organization/")
        for method in item
        if method in ("get", "post", "delete")
    }
    assert group_operations("organization") == organization_operations  # the emulator serves them all
    assert len(checker.covered()) == 26
    assert checker.statuses() == {200, 400, 403, 404}
