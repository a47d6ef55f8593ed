"""Where the hook finds its credentials, and what it refuses to do without them."""

from __future__ import annotations

import json

import pytest

from airflow_openai.client import MissingCredentialsError
from airflow_openai.client.settings import DEFAULT_BASE_URL
from airflow_openai.hooks.openai import OpenAIHook
from tests.support.keys import ADMIN_KEY, PROJECT_KEY


@pytest.fixture
def clean_env(monkeypatch):
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_ADMIN_KEY",
        "OPENAI_ORG_ID",
        "OPENAI_PROJECT_ID",
        "OPENAI_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_json_connection_from_the_environment(clean_env):
    conn = {
        "conn_type": "openai_platform",
        "host": "http://127.0.0.1:8089/v1",
        "password": PROJECT_KEY,
        "extra": {
            "organization": "org-1",
            "project": "proj_1",
            "admin_api_key": ADMIN_KEY,
            "timeout": 30,
            "max_retries": 5,
        },
    }
    clean_env.setenv("AIRFLOW_CONN_OPENAI_DEFAULT", json.dumps(conn))

    settings = OpenAIHook().settings

    assert settings.api_key == PROJECT_KEY and settings.admin_api_key == ADMIN_KEY
    assert settings.base_url == "http://127.0.0.1:8089/v1"
    assert (settings.organization, settings.project, settings.timeout, settings.max_retries) == (
        "org-1",
        "proj_1",
        30.0,
        5,
    )
    assert settings.source == "openai_default"


def test_a_connection_made_for_the_other_openai_provider_works(clean_env):
    conn = {
        "conn_type": "openai",
        "password": PROJECT_KEY,
        "extra": {"openai_client_kwargs": {"organization": "org-2", "project": "proj_2", "max_retries": 4}},
    }
    clean_env.setenv("AIRFLOW_CONN_LEGACY", json.dumps(conn))

    settings = OpenAIHook("legacy").settings

    assert settings.api_key == PROJECT_KEY and settings.base_url == DEFAULT_BASE_URL
    assert (settings.organization, settings.project, settings.max_retries) == ("org-2", "proj_2", 4)


def test_uri_connection_with_host_and_port(clean_env):
    """A host without a path is the API's host: its base URL is under /v1 (`test_base_url`)."""
    clean_env.setenv("AIRFLOW_CONN_URI_STYLE", f"openai-platform://:{PROJECT_KEY}@127.0.0.1:8089")
    settings = OpenAIHook("uri_style").settings
    assert settings.base_url == "https://127.0.0.1:8089/v1" and settings.api_key == PROJECT_KEY


def test_empty_fields_fall_back_to_openai_environment_variables(clean_env):
    clean_env.setenv("AIRFLOW_CONN_BARE", json.dumps({"conn_type": "openai_platform"}))
    clean_env.setenv("OPENAI_API_KEY", PROJECT_KEY)
    clean_env.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)
    clean_env.setenv("OPENAI_ORG_ID", "org-env")
    clean_env.setenv("OPENAI_PROJECT_ID", "proj_env")
    clean_env.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9999/v1/")

    settings = OpenAIHook("bare").settings

    assert (settings.api_key, settings.admin_api_key) == (PROJECT_KEY, ADMIN_KEY)
    assert (settings.organization, settings.project) == ("org-env", "proj_env")
    assert settings.base_url == "http://127.0.0.1:9999/v1"


def test_connection_fields_win_over_the_environment(clean_env):
    clean_env.setenv(
        "AIRFLOW_CONN_BOTH", json.dumps({"conn_type": "openai_platform", "password": PROJECT_KEY})
    )
    clean_env.setenv("OPENAI_API_KEY", "sk-from-environment-should-lose")
    assert OpenAIHook("both").settings.api_key == PROJECT_KEY


def test_an_undefined_connection_uses_the_environment_alone(clean_env):
    clean_env.setenv("OPENAI_API_KEY", PROJECT_KEY)
    assert OpenAIHook("never_defined").settings.api_key == PROJECT_KEY


def test_a_missing_key_is_a_clear_error_naming_the_connection(clean_env):
    clean_env.setenv(
        "AIRFLOW_CONN_NO_KEY", json.dumps({"conn_type": "openai_platform", "host": "http://127.0.0.1:9/v1"})
    )
    with pytest.raises(MissingCredentialsError, match="'no_key'"):
        OpenAIHook("no_key").get_batch("batch_1")


def test_building_a_hook_reads_nothing(clean_env):
    hook = OpenAIHook("not_defined_anywhere")
    assert hook._settings is None and hook._sync is None


def test_keys_never_appear_in_repr(clean_env):
    clean_env.setenv("OPENAI_API_KEY", PROJECT_KEY)
    clean_env.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)
    text = repr(OpenAIHook("never_defined").settings)
    assert PROJECT_KEY not in text and ADMIN_KEY not in text


def test_keys_are_registered_with_airflows_secret_masker(clean_env):
    from airflow.sdk._shared.secrets_masker import redact

    clean_env.setenv("OPENAI_API_KEY", PROJECT_KEY)
    clean_env.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)
    assert OpenAIHook(
        "never_defined"
    ).settings.api_key  # keys from the environment are not masked by Airflow itself
    assert redact(f"key={PROJECT_KEY} admin={ADMIN_KEY}") == "key=*** admin=***"


async def test_async_settings_read_the_connection_too(clean_env):
    clean_env.setenv(
        "AIRFLOW_CONN_ASYNC_CONN", json.dumps({"conn_type": "openai_platform", "password": PROJECT_KEY})
    )
    assert (await OpenAIHook("async_conn").asettings()).api_key == PROJECT_KEY


def test_test_connection_lists_models(server):
    from tests.support.clients import hook_for
    from tests.support.scripted_server import Reply, error_body

    models = [{"id": f"m{n}", "object": "model", "created": 1, "owned_by": "openai"} for n in range(3)]
    server.queue(
        "GET",
        "/v1/models",
        Reply(200, {"object": "list", "data": models}),
        Reply(401, error_body("Incorrect API key provided")),
    )
    assert hook_for(server.base_url).test_connection() == (
        True,
        f"Connected to {server.base_url}: 3 models available",
    )
    ok, message = hook_for(server.base_url).test_connection()
    assert not ok and "Incorrect API key" in message


@pytest.mark.parametrize(
    ("host", "extra", "dashboard"),
    [
        (None, {}, "https://platform.openai.com"),
        ("https://api.openai.com/v1", {}, "https://platform.openai.com"),
        ("api.openai.com", {}, "https://platform.openai.com"),
        ("http://127.0.0.1:8089/v1", {}, None),
        (
            "https://my-proxy.example.com/v1",
            {"dashboard_url": "https://dash.example.com/"},
            "https://dash.example.com",
        ),
    ],
    ids=["no host", "the real API", "a bare real host", "another host", "an explicit dashboard"],
)
def test_the_dashboard_follows_the_connection(clean_env, host, extra, dashboard):
    conn = {"conn_type": "openai_platform", "host": host, "password": PROJECT_KEY, "extra": extra}
    clean_env.setenv("AIRFLOW_CONN_DASH", json.dumps(conn))
    assert OpenAIHook("dash").settings.dashboard_url == dashboard


def test_the_output_root_comes_from_the_connection_extra(clean_env):
    conn = {
        "conn_type": "openai_platform",
        "password": PROJECT_KEY,
        "extra": {"output_root": "s3://bucket/openai/"},
    }
    clean_env.setenv("AIRFLOW_CONN_ROOTED", json.dumps(conn))
    assert OpenAIHook("rooted").settings.output_root == "s3://bucket/openai/"
    clean_env.setenv(
        "AIRFLOW_CONN_ROOTLESS", json.dumps({"conn_type": "openai_platform", "password": PROJECT_KEY})
    )
    assert OpenAIHook("rootless").settings.output_root is None
