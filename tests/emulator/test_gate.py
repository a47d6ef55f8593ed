"""Keys, request ids, rate limits and injected faults, as a client of the emulator sees them."""

from __future__ import annotations

import io
import os
import time

import httpx
import pytest

from airflow_openai.client import (
    APIConnectionError,
    AuthenticationError,
    RateLimitError,
)


def test_every_response_has_a_request_id_and_keys_are_required(emu):
    anonymous = httpx.get(f"{emu.base_url}/models")
    assert anonymous.status_code == 401 and anonymous.headers["x-request-id"].startswith("req_")
    assert anonymous.json()["error"]["code"] == "invalid_api_key"
    unknown = httpx.get(
        f"{emu.base_url}/batches/batch_nope", headers={"Authorization": f"Bearer {emu.api_key}"}
    )
    assert unknown.status_code == 404 and set(unknown.json()["error"]) == {"message", "type", "param", "code"}


def test_admin_keys_only_on_organization_endpoints(hook, emu):
    admin = httpx.get(f"{emu.base_url}/files", headers={"Authorization": f"Bearer {emu.admin_key}"})
    assert admin.status_code == 403 and "Admin API keys" in admin.json()["error"]["message"]
    project = httpx.get(
        f"{emu.base_url}/organization/users", headers={"Authorization": f"Bearer {emu.api_key}"}
    )
    assert project.status_code == 403


def test_the_hook_with_a_wrong_key_gets_an_authentication_error(emu):
    from airflow_openai.client.settings import ClientSettings
    from airflow_openai.hooks.openai import OpenAIHook

    with pytest.raises(AuthenticationError):
        OpenAIHook(settings=ClientSettings(api_key="not-a-key-at-all", base_url=emu.base_url)).get_batch(
            "batch_1"
        )


def test_two_injected_429s_are_retried_after_the_advised_delay(hook, emu):
    emu.fault("/v1/models", method="GET", status=429, count=2, retry_after=0.3)
    started = time.monotonic()
    assert sum(1 for _ in hook.list_models()) >= 1
    assert time.monotonic() - started >= 0.55


def test_an_injected_fault_that_outlasts_the_retries_surfaces_typed(hook, emu):
    emu.fault("/v1/models", status=429, count=5, retry_after=0.01)
    with pytest.raises(RateLimitError) as caught:
        list(hook.list_models())
    assert caught.value.headers["x-ratelimit-remaining-requests"] == "0"


def test_dropped_connections_and_latency(hook, emu):
    emu.fault("/v1/models", status=None, count=3, drop=True)
    with pytest.raises(APIConnectionError):
        list(hook.list_models())
    emu.fault("/v1/models", status=None, latency_ms=300)
    started = time.monotonic()
    list(hook.list_models())
    assert time.monotonic() - started >= 0.3


def test_requests_per_minute_limit_answers_429_with_ratelimit_headers(emu):
    emu.rate_limit(3)
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    answers = [httpx.get(f"{emu.base_url}/models", headers=headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[1].headers["x-ratelimit-remaining-requests"] == "1"
    assert int(answers[3].headers["retry-after"]) >= 1


def test_a_capped_link_carries_each_body_no_faster_than_its_rate(hook, emu):
    """Only a lower bound is asserted: a busy machine may be slower, never faster."""
    emu.link(8)
    started = time.monotonic()
    hook.create_file(io.BytesIO(os.urandom(4_000_000)), "vision", "photo.bin")
    assert time.monotonic() - started >= 0.45
    emu.reset()
    assert emu.state.faults.link_bytes_per_second is None
