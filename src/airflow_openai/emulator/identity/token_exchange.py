"""The workload identity token exchange (RFC 8693), as `auth.openai.com/oauth/token` does it and the openai
SDK's `WorkloadIdentityAuth` calls it: a subject token from the workload's identity provider, for an
identity provider and a service account, traded for a short-lived access token.

The request is a JSON object (form fields are read too): `grant_type`
(`urn:ietf:params:oauth:grant-type:token-exchange`), `subject_token`, `subject_token_type`
(`urn:ietf:params:oauth:token-type:jwt` or `...:id_token`), `identity_provider_id`,
`service_account_id`. The answer: `{"access_token", "token_type": "Bearer", "expires_in",
"issued_token_type": "urn:ietf:params:oauth:token-type:access_token"}`; a refusal is a 400
`{"error", "error_description"}` (`OAuthRefusal`), which the SDK raises as `OAuthError`.

The subject token is not verified (any non-empty string will do). The identity provider and service
account ids are checked against the ones configured (`configure`, `POST /_emulator/identity`);
unconfigured, any ids are accepted. Lifetimes are real seconds (see `core.access_tokens`):
`token_lifetime_seconds`, 3600 unless configured.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from airflow_openai.emulator.core import access_tokens
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
SUBJECT_TOKEN_TYPES = ("urn:ietf:params:oauth:token-type:jwt", "urn:ietf:params:oauth:token-type:id_token")
ISSUED_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
DEFAULT_LIFETIME_SECONDS = 3600
CONFIG_KEY = "identity.config"
REQUIRED = ("subject_token", "subject_token_type", "identity_provider_id", "service_account_id")
ACCESS_TOKEN_PREFIX = "emu-oauth-"
"""Issued tokens start with this, never with `sk-`, so the gate tells them from keys."""


class OAuthRefusal(Exception):
    """A refused exchange: `status` with the OAuth error body `{"error", "error_description"}`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def settings(state: EmulatorState) -> dict[str, Any]:
    """The configured ids (None: any) and token lifetime (None: the default)."""
    saved = state.store.meta(CONFIG_KEY)
    held: dict[str, Any] = json.loads(saved) if saved else {}
    return {
        "identity_provider_id": held.get("identity_provider_id"),
        "service_account_id": held.get("service_account_id"),
        "token_lifetime_seconds": held.get("token_lifetime_seconds"),
    }


def configure(
    state: EmulatorState,
    identity_provider_id: str | None,
    service_account_id: str | None,
    token_lifetime_seconds: int | None,
) -> dict[str, Any]:
    """Replace the configuration whole; returns `describe`."""
    config = {
        "identity_provider_id": identity_provider_id,
        "service_account_id": service_account_id,
        "token_lifetime_seconds": token_lifetime_seconds,
    }
    state.store.meta(CONFIG_KEY, json.dumps(config))
    return describe(state)


def describe(state: EmulatorState) -> dict[str, Any]:
    """The configuration, the lifetime in force, how many tokens were issued since the last reset and
    how many of those are still unexpired."""
    tokens = state.store.all(access_tokens.KIND)
    now = time.time()
    config = settings(state)
    return {
        **config,
        "effective_token_lifetime_seconds": config["token_lifetime_seconds"] or DEFAULT_LIFETIME_SECONDS,
        "tokens_issued": len(tokens),
        "tokens_live": sum(1 for token in tokens if now < float(token["expires_at"])),
    }


def expire_all(state: EmulatorState) -> int:
    """Make every unexpired token expire now (as if its lifetime had passed); returns how many."""
    now = time.time()
    expired = 0
    with state.store.locked():
        for token in state.store.all(access_tokens.KIND):
            if now < float(token["expires_at"]):
                state.store.put(access_tokens.KIND, {**token, "expires_at": now})
                expired += 1
    return expired


def exchange(state: EmulatorState, fields: Any) -> dict[str, Any]:
    """The answer to an exchange of `fields` (the request body), or an `OAuthRefusal`."""
    if not isinstance(fields, dict):
        raise OAuthRefusal("invalid_request", "The request body must be a JSON object.")
    grant_type = fields.get("grant_type")
    if grant_type in (None, ""):
        raise OAuthRefusal("invalid_request", "Missing required parameter: grant_type.")
    if grant_type != GRANT_TYPE:
        raise OAuthRefusal(
            "unsupported_grant_type", f"Unsupported grant_type: {grant_type!r}. Use {GRANT_TYPE}."
        )
    for name in REQUIRED:
        value = fields.get(name)
        if value is None or value == "":
            raise OAuthRefusal("invalid_request", f"Missing required parameter: {name}.")
        if not isinstance(value, str):
            raise OAuthRefusal("invalid_request", f"Invalid value for {name}: expected a string.")
    if fields["subject_token_type"] not in SUBJECT_TOKEN_TYPES:
        raise OAuthRefusal(
            "invalid_request",
            f"Unsupported subject_token_type: {fields['subject_token_type']!r}. "
            f"Supported: {', '.join(SUBJECT_TOKEN_TYPES)}.",
        )
    config = settings(state)
    provider, account = fields["identity_provider_id"], fields["service_account_id"]
    if config["identity_provider_id"] is not None and provider != config["identity_provider_id"]:
        raise OAuthRefusal("invalid_grant", f"Unknown workload identity provider: {provider!r}.")
    if config["service_account_id"] is not None and account != config["service_account_id"]:
        raise OAuthRefusal(
            "invalid_grant", f"Service account {account!r} is not mapped to identity provider {provider!r}."
        )
    lifetime = config["token_lifetime_seconds"] or DEFAULT_LIFETIME_SECONDS
    token = _issue(state, fields, lifetime)
    return {
        "access_token": token["id"],
        "token_type": "Bearer",
        "expires_in": lifetime,
        "issued_token_type": ISSUED_TOKEN_TYPE,
    }


def _issue(state: EmulatorState, fields: dict[str, Any], lifetime: int) -> Obj:
    issued_at = time.time()
    return state.store.put(
        access_tokens.KIND,
        {
            "id": ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(32),
            "issued_at": issued_at,
            "expires_at": issued_at + lifetime,
            "identity_provider_id": fields["identity_provider_id"],
            "service_account_id": fields["service_account_id"],
            "subject_token_type": fields["subject_token_type"],
        },
    )
