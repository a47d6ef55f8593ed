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

from airflow_openai.emulator.core.errors import bad_request
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj, public
from airflow_openai.emulator.organization import directory, project_users
from airflow_openai.emulator.organization import organization as org
from airflow_openai.emulator.organization.directory import API_KEYS, PROJECT_USERS, SERVICE_ACCOUNTS

KEY_NAME = "Secret Key"


def get_account(state: EmulatorState, project_id: str, account_id: str) -> Obj:
    return public(directory.held_or_404(state, SERVICE_ACCOUNTS, project_id, account_id))


def accounts(state: EmulatorState, project_id: str) -> list[Obj]:
    return [public(account) for account in directory.held_by(state, SERVICE_ACCOUNTS, project_id)]


def create_account(state: EmulatorState, project_id: str, name: str) -> Obj:
    """The `ProjectServiceAccountCreateResponse`, with the key's value shown this once."""
    with state.store.locked():
        directory.active_project(state, project_id)
        now = state.now()
        account = directory.create(
            state,
            SERVICE_ACCOUNTS,
            {"name": name, "role": "member", "created_at": now, "_project_id": project_id},
        )
        value = "sk-svcacct-" + secrets.token_urlsafe(36)
        key = directory.create(
            state,
            API_KEYS,
            {
                "name": KEY_NAME,
                "redacted_value": f"{value[:10]}...{value[-4:]}",
                "created_at": now,
                "last_used_at": None,
                "_project_id": project_id,
                "_owner": {"type": "service_account", "id": account["id"]},
            },
        )
        directory.log_change(
            state, SERVICE_ACCOUNTS, account, "service_account.created", data={"role": "member"}
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
    """The account's key goes with it."""
    with state.store.locked():
        account = directory.held_or_404(state, SERVICE_ACCOUNTS, project_id, account_id)
        directory.delete_keys_of(state, "service_account", account_id)
        return directory.delete(state, SERVICE_ACCOUNTS, account, "service_account.deleted")


def render_key(state: EmulatorState, key: Obj) -> Obj:
    """The `ProjectApiKey`, its owner shown as the project user or service account it is."""
    owner = key["_owner"]
    if owner["type"] == "user":
        member = state.store.get(org.MEMBER, PROJECT_USERS.stored_id(key["_project_id"], owner["id"]))
        shown = {"type": "user", "user": project_users.render(state, member)} if member else {"type": "user"}
    else:
        account = state.store.get(org.SERVICE_ACCOUNT, owner["id"])
        shown = {"type": "service_account", **({"service_account": public(account)} if account else {})}
    return {**public(key), "last_used_at": key.get("last_used_at"), "owner": shown}


def get_key(state: EmulatorState, project_id: str, key_id: str) -> Obj:
    return render_key(state, directory.held_or_404(state, API_KEYS, project_id, key_id))


def keys(state: EmulatorState, project_id: str) -> list[Obj]:
    return [render_key(state, key) for key in directory.held_by(state, API_KEYS, project_id)]


def delete_key(state: EmulatorState, project_id: str, key_id: str) -> Obj:
    with state.store.locked():
        key = directory.held_or_404(state, API_KEYS, project_id, key_id)
        if key["_owner"]["type"] == "service_account":
            raise bad_request(
                "API keys cannot be deleted for service accounts, please delete the service account",
                param="key_id",
                code="invalid_value",
            )
        return directory.delete(state, API_KEYS, key, "api_key.deleted")
