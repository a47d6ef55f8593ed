"""A project's service accounts and API keys.

Creating a service account (role `member`, the only one the spec allows it) also makes its
API key, and the answer is the one place the key's `value` ever appears: it is not
stored, and the key is listed afterwards by its `redacted_value`. A project's API keys are
its users' keys and its service accounts' keys, each with its `owner`. A user's key can be
deleted; a service account's key cannot (the spec's 400: delete the service account, which
takes its key with it). Each call writes one entry: `service_account.created`,
`service_account.deleted` or `api_key.deleted`, scoped to the project.

`last_used_at` (which the SDK reads, the spec omits) stays null: the emulator accepts any
`sk-` key without matching it to a stored one, so no key is ever seen in use.
"""

from __future__ import annotations

import secrets

from airflow_openai.emulator.core.errors import bad_request, not_found
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj, public
from airflow_openai.emulator.organization import audit_log, project_users
from airflow_openai.emulator.organization import organization as org
from airflow_openai.emulator.organization.organization_projects import active_project

KEY_NAME = "Secret Key"


def account_or_404(state: EmulatorState, project_id: str, account_id: str) -> Obj:
    active_project(state, project_id)
    account = state.store.get(org.SERVICE_ACCOUNT, account_id)
    if account is None or account["_project_id"] != project_id:
        raise not_found("service account", account_id)
    return account


def accounts(state: EmulatorState, project_id: str) -> list[Obj]:
    active_project(state, project_id)
    return [
        account
        for account in org.oldest_first(state, org.SERVICE_ACCOUNT)
        if account["_project_id"] == project_id
    ]


def create_account(state: EmulatorState, project_id: str, name: str) -> Obj:
    """The `ProjectServiceAccountCreateResponse`, with the key's value shown this once."""
    with state.store.locked():
        project = active_project(state, project_id)
        now = state.now()
        account = state.store.put(
            org.SERVICE_ACCOUNT,
            {
                "id": state.ids.new("svc_acct_"),
                "object": org.SERVICE_ACCOUNT,
                "name": name,
                "role": "member",
                "created_at": now,
                "_project_id": project_id,
            },
        )
        value = "sk-svcacct-" + secrets.token_urlsafe(36)
        key = state.store.put(
            org.API_KEY,
            {
                "id": state.ids.new("key_", 16),
                "object": org.API_KEY,
                "name": KEY_NAME,
                "redacted_value": f"{value[:10]}...{value[-4:]}",
                "created_at": now,
                "last_used_at": None,
                "_project_id": project_id,
                "_owner": {"type": "service_account", "id": account["id"]},
            },
        )
        audit_log.record(
            state,
            "service_account.created",
            actor=audit_log.key_actor(org.owner(state)),
            payload={"id": account["id"], "data": {"role": "member"}},
            project=project,
        )
    return {
        **public(account),
        "api_key": {
            "object": "organization.project.service_account.api_key",
            "value": value,
            "name": KEY_NAME,
            "created_at": now,
            "id": key["id"],
        },
    }


def delete_account(state: EmulatorState, project_id: str, account_id: str) -> Obj:
    with state.store.locked():
        account_or_404(state, project_id, account_id)
        for key in state.store.all(org.API_KEY):
            if key["_owner"] == {"type": "service_account", "id": account_id}:
                state.store.delete(org.API_KEY, key["id"])
        state.store.delete(org.SERVICE_ACCOUNT, account_id)
        audit_log.record(
            state,
            "service_account.deleted",
            actor=audit_log.key_actor(org.owner(state)),
            payload={"id": account_id},
            project=state.store.get(org.PROJECT, project_id),
        )
    return {"object": "organization.project.service_account.deleted", "id": account_id, "deleted": True}


def render_key(state: EmulatorState, key: Obj) -> Obj:
    """The `ProjectApiKey`, its owner shown as the project user or service account it is."""
    owner = key["_owner"]
    if owner["type"] == "user":
        member = state.store.get(org.MEMBER, f"{key['_project_id']}/{owner['id']}")
        shown = {"type": "user", "user": project_users.render(state, member)} if member else {"type": "user"}
    else:
        account = state.store.get(org.SERVICE_ACCOUNT, owner["id"])
        shown = {"type": "service_account", **({"service_account": public(account)} if account else {})}
    return {**public(key), "last_used_at": key.get("last_used_at"), "owner": shown}


def key_or_404(state: EmulatorState, project_id: str, key_id: str) -> Obj:
    active_project(state, project_id)
    key = state.store.get(org.API_KEY, key_id)
    if key is None or key["_project_id"] != project_id:
        raise not_found("API key", key_id)
    return key


def keys(state: EmulatorState, project_id: str) -> list[Obj]:
    active_project(state, project_id)
    return [
        render_key(state, key)
        for key in org.oldest_first(state, org.API_KEY)
        if key["_project_id"] == project_id
    ]


def delete_key(state: EmulatorState, project_id: str, key_id: str) -> Obj:
    with state.store.locked():
        key = key_or_404(state, project_id, key_id)
        if key["_owner"]["type"] == "service_account":
            raise bad_request(
                "API keys cannot be deleted for service accounts, please delete the service account",
                param="key_id",
                code="invalid_value",
            )
        state.store.delete(org.API_KEY, key_id)
        audit_log.record(
            state,
            "api_key.deleted",
            actor=audit_log.key_actor(org.owner(state)),
            payload={"id": key_id},
            project=state.store.get(org.PROJECT, project_id),
        )
    return {"object": "organization.project.api_key.deleted", "id": key_id, "deleted": True}
