"""Workload identity (keyless auth): the `openai` SDK's own `WorkloadIdentityAuth` exchanges a subject token at
the emulator's `POST /oauth/token` and calls the API with the access token it gets; refusals in the OAuth
error body the SDK raises as `OAuthError`; short-lived tokens that expire (a 401) and are refreshed;
a bare emulator accepting any identity provider and service account ids."""

from __future__ import annotations

import time

import httpx
import pytest

openai = pytest.importorskip("openai", reason="the official openai SDK is in the dev group")

GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT = "urn:ietf:params:oauth:token-type:jwt"
SUBJECT_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3b3JrbG9hZCJ9.c2lnbmF0dXJl"
PROVIDER = "idp_0123456789abcdef"
ACCOUNT = "svc_acct_0123456789abcdef"


def _client(emu, provider=PROVIDER, account=ACCOUNT, **identity):
    """An SDK client authenticating by workload identity against the emulator. The SDK hard-codes the
    exchange URL (`https://auth.openai.com/oauth/token`: `OpenAI` passes no `token_exchange_url` to its
    `WorkloadIdentityAuth`), so it is pointed at the emulator's after construction."""
    workload_identity = {
        "identity_provider_id": provider,
        "service_account_id": account,
        "provider": {"token_type": "jwt", "get_token": lambda: SUBJECT_TOKEN},
        **identity,
    }
    client = openai.OpenAI(workload_identity=workload_identity, base_url=emu.base_url, max_retries=0)
    client._workload_identity_auth.token_exchange_url = emu.token_url
    return client


def _chat(client):
    return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])


def _exchange(emu, **overrides):
    body = {
        "grant_type": GRANT,
        "subject_token": SUBJECT_TOKEN,
        "subject_token_type": JWT,
        "identity_provider_id": PROVIDER,
        "service_account_id": ACCOUNT,
        **overrides,
    }
    return httpx.post(emu.token_url, json={k: v for k, v in body.items() if v is not None})


def _get_models(emu, token):
    return httpx.get(f"{emu.base_url}/models", headers={"Authorization": f"Bearer {token}"})


def test_the_sdk_exchanges_a_subject_token_and_calls_the_api(emu):
    emu.configure_identity(PROVIDER, ACCOUNT)
    with _client(emu) as client:
        assert _chat(client).choices[0].message.content
        assert _chat(client).object == "chat.completion"
    state = emu.identity()
    assert state["tokens_issued"] == 1 and state["tokens_live"] == 1
    assert state["identity_provider_id"] == PROVIDER and state["service_account_id"] == ACCOUNT
    assert state["effective_token_lifetime_seconds"] == 3600


def test_the_exchange_answers_as_the_service(emu):
    answer = _exchange(emu)
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "issued_token_type"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert _get_models(emu, body["access_token"]).status_code == 200
    form = httpx.post(
        emu.token_url,
        data={
            "grant_type": GRANT,
            "subject_token": SUBJECT_TOKEN,
            "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
            "identity_provider_id": PROVIDER,
            "service_account_id": ACCOUNT,
        },
    )
    assert form.status_code == 200 and form.json()["access_token"] != body["access_token"]


@pytest.mark.parametrize(
    ("overrides", "error", "words"),
    [
        ({"grant_type": "client_credentials"}, "unsupported_grant_type", "client_credentials"),
        ({"grant_type": None}, "invalid_request", "grant_type"),
        ({"subject_token_type": "urn:ietf:params:oauth:token-type:saml2"}, "invalid_request", "saml2"),
        ({"subject_token": ""}, "invalid_request", "subject_token"),
        ({"service_account_id": None}, "invalid_request", "service_account_id"),
        ({"identity_provider_id": 7}, "invalid_request", "identity_provider_id"),
        ({"identity_provider_id": "idp_other"}, "invalid_grant", "idp_other"),
        ({"service_account_id": "svc_other"}, "invalid_grant", "svc_other"),
    ],
)
def test_bad_exchanges_are_refused_in_the_oauth_error_body(emu, overrides, error, words):
    emu.configure_identity(PROVIDER, ACCOUNT)
    refused = _exchange(emu, **overrides)
    assert refused.status_code == 400
    assert refused.json()["error"] == error and words in refused.json()["error_description"]
    assert emu.identity()["tokens_issued"] == 0


def test_the_sdk_raises_an_oauth_error_for_ids_not_configured(emu):
    emu.configure_identity(identity_provider_id=PROVIDER, service_account_id=ACCOUNT)
    with _client(emu, account="svc_someone_else") as client, pytest.raises(openai.OAuthError) as refused:
        _chat(client)
    assert refused.value.error == "invalid_grant" and "svc_someone_else" in refused.value.message
    assert emu.requests("/v1/*") == 0


def test_a_token_expires_with_a_401_and_the_sdk_refreshes_it(emu):
    emu.configure_identity(token_lifetime_seconds=1)
    token = _exchange(emu).json()
    assert token["expires_in"] == 1 and _get_models(emu, token["access_token"]).status_code == 200
    time.sleep(1.1)
    expired = _get_models(emu, token["access_token"])
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "invalid_api_key"
    assert "expired" in expired.json()["error"]["message"]

    with _client(emu, refresh_buffer_seconds=0) as client:
        _chat(client)
        assert emu.identity()["tokens_issued"] == 2
        time.sleep(1.1)  # the SDK sees its token has expired too, and exchanges again before the call
        _chat(client)
        assert emu.identity()["tokens_issued"] == 3


def test_a_token_the_service_expires_early_is_refreshed_after_the_401(emu):
    with _client(emu) as client:
        _chat(client)
        assert emu.expire_tokens() == 1 and emu.identity()["tokens_live"] == 0
        assert _chat(client).choices  # a 401, one exchange, the call again
    assert emu.identity()["tokens_issued"] == 2 and emu.identity()["tokens_live"] == 1
    assert emu.requests("/v1/chat/completions", method="POST") == 3


def test_a_bare_emulator_accepts_any_ids(emu):
    with _client(emu, provider="idp_anything", account="svc_anyone") as client:
        assert _chat(client).choices
    assert emu.identity()["identity_provider_id"] is None and emu.identity()["tokens_issued"] == 1


def test_tokens_stand_for_project_keys_and_a_reset_forgets_them(emu):
    emu.configure_identity(PROVIDER, token_lifetime_seconds=60)
    token = _exchange(emu).json()["access_token"]
    admin = httpx.get(f"{emu.base_url}/organization/users", headers={"Authorization": f"Bearer {token}"})
    assert admin.status_code == 403 and admin.json()["error"]["code"] == "insufficient_permissions"
    unknown = _get_models(emu, "emu-oauth-not-issued")
    assert unknown.status_code == 401 and unknown.json()["error"]["message"] == "Incorrect API key provided."
    emu.reset()
    assert _get_models(emu, token).status_code == 401
    assert emu.identity() == {
        "identity_provider_id": None,
        "service_account_id": None,
        "token_lifetime_seconds": None,
        "effective_token_lifetime_seconds": 3600,
        "tokens_issued": 0,
        "tokens_live": 0,
    }


@pytest.mark.parametrize(
    "body",
    [
        {"token_lifetime_seconds": 0},
        {"token_lifetime_seconds": "60"},
        {"service_account_id": ""},
        {"other": 1},
    ],
)
def test_the_control_plane_refuses_a_bad_configuration(emu, body):
    refused = httpx.post(f"{emu.url}/_emulator/identity", json=body)
    assert refused.status_code == 400 and refused.json()["error"]["param"]
