"""A connection host without /v1: taken as the API's host when it has no path at all, and a 404 "Invalid URL"
from a base URL that does not end in /v1 says that the base URL usually does."""

from __future__ import annotations

import json

import httpx
import pytest

from airflow_openai.client import NotFoundError
from airflow_openai.client.errors import error_from_response
from airflow_openai.client.settings import ClientSettings
from airflow_openai.hooks.openai import OpenAIHook

HINT = "the base URL usually ends in /v1"


def _connection(monkeypatch, conn_id: str, host: str, key: str) -> OpenAIHook:
    conn = {"conn_type": "openai_platform", "host": host, "password": key}
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
    return OpenAIHook(conn_id)


@pytest.mark.parametrize("suffix", ["", "/"])
def test_a_host_without_a_path_reaches_the_api_under_v1(emu, monkeypatch, suffix):
    with _connection(monkeypatch, "bare_host", emu.url + suffix, emu.api_key) as hook:
        assert hook.settings.base_url == emu.base_url
        assert any(model.id == "gpt-4o-mini" for model in hook.list_models())
        assert hook.test_connection()[0]


def test_a_host_and_port_given_apart_reach_the_api_under_v1(emu, monkeypatch):
    conn = {
        "conn_type": "openai_platform",
        "host": f"http://{emu.host}",
        "port": emu.port,
        "password": emu.api_key,
    }
    monkeypatch.setenv("AIRFLOW_CONN_HOST_AND_PORT", json.dumps(conn))
    with OpenAIHook("host_and_port") as hook:
        assert hook.settings.base_url == emu.base_url and list(hook.list_batches()) == []


def test_a_base_url_with_another_path_says_what_is_wrong(emu, monkeypatch):
    with _connection(monkeypatch, "other_path", f"{emu.url}/openai", emu.api_key) as hook:
        with pytest.raises(NotFoundError) as missed:
            list(hook.list_batches())
        ok, message = hook.test_connection()

    assert str(missed.value).startswith(
        f"Invalid URL (GET /openai/batches); the base URL {emu.url}/openai does not end in /v1, and {HINT}"
    )
    assert missed.value.status_code == 404 and not ok and HINT in message


def test_settings_given_whole_are_taken_as_given_and_the_404_says_why(emu):
    settings = ClientSettings(api_key=emu.api_key, base_url=emu.url, source="script")
    with OpenAIHook(settings=settings) as hook, pytest.raises(NotFoundError, match=HINT):
        hook.get_batch("batch_abc")


def test_a_404_under_v1_is_about_the_call_and_says_nothing_of_the_base_url(emu, emu_hook):
    with pytest.raises(NotFoundError) as missed:
        emu_hook.get_batch("batch_missing")
    assert HINT not in str(missed.value)


def _invalid_url(base_url: str | None) -> str:
    request = httpx.Request("GET", "https://example.com/batches")
    body = {"error": {"message": "Invalid URL (GET /batches)", "type": "invalid_request_error"}}
    return error_from_response(httpx.Response(404, json=body, request=request), base_url).message


def test_the_hint_shows_no_credentials_of_the_base_url():
    message = _invalid_url("https://me:sk-secret@proxy.example.com")
    assert "sk-secret" not in message and "me:" not in message
    assert "the base URL https://proxy.example.com does not end in /v1" in message


@pytest.mark.parametrize(
    "base_url", [None, "https://api.openai.com/v1", "https://proxy.example.com/openai/v1/"]
)
def test_no_hint_without_a_base_url_or_with_v1(base_url):
    assert _invalid_url(base_url) == "Invalid URL (GET /batches)"
