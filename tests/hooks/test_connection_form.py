"""The connection form as Airflow 3.3's UI gets it (help text with the defaults, the dashboard's examples),
and a connection saved from it: the form stores every field it shows, a blank one as null, and the
provider reads null as absent."""

from __future__ import annotations

import json

import pendulum
import pytest

from airflow_openai.provider import EMULATOR_DASHBOARD, get_provider_info
from tests.support.dag_runner import run_dag, task_states, xcom_value


@pytest.fixture
def api(airflow_db, monkeypatch):
    """Airflow's REST API (and the UI's), as the browser reaches it, without a login."""
    from airflow.api_fastapi.app import create_app
    from fastapi.testclient import TestClient

    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")
    with TestClient(create_app("core")) as client:
        yield client


def test_the_form_shows_the_defaults_and_the_emulators_dashboard(api):
    (meta,) = [
        hook
        for hook in api.get("/ui/connections/hook_meta").json()
        if hook["connection_type"] == "openai_platform"
    ]
    fields = meta["extra_fields"]

    assert fields["timeout"]["schema"]["title"] == "Timeout (seconds)"
    assert fields["timeout"]["description"].endswith("Default 600.")
    assert fields["max_retries"]["schema"]["title"] == "Max retries"
    assert fields["max_retries"]["description"].endswith("Default 2.")
    assert EMULATOR_DASHBOARD in fields["dashboard_url"]["schema"]["examples"]
    assert EMULATOR_DASHBOARD in fields["dashboard_url"]["description"]
    assert meta["standard_fields"]["host"]["placeholder"] == "https://api.openai.com/v1"


def test_the_example_is_the_dashboard_the_emulator_command_serves(emu):
    """`airflow-openai-emulator` listens on 127.0.0.1:8089 unless told otherwise."""
    assert emu.dashboard_url.replace(f":{emu.port}/", ":8089/") == EMULATOR_DASHBOARD


def test_the_form_passes_the_schema_of_airflows_provider_yaml():
    from pathlib import Path

    import jsonschema
    from airflow import __file__ as airflow_init

    schema = json.loads((Path(airflow_init).parent / "provider.yaml.schema.json").read_text())
    entry = schema["properties"]["connection-types"]["items"]["properties"]
    (conn_type,) = get_provider_info()["connection-types"]
    jsonschema.validate(conn_type["conn-fields"], entry["conn-fields"])
    jsonschema.validate(conn_type["ui-field-behaviour"], entry["ui-field-behaviour"])


def test_a_connection_saved_from_the_form_with_blank_fields_reads_as_their_defaults(api, emu):
    """As the form saves it: the host typed without /v1, the key, and every other field left blank (null)."""
    blank = {name: None for name in get_provider_info()["connection-types"][0]["conn-fields"]}
    saved = api.post(
        "/api/v2/connections",
        json={
            "connection_id": "from_the_form",
            "conn_type": "openai_platform",
            "host": emu.url,
            "password": emu.api_key,
            "extra": json.dumps(blank, indent=2),
        },
    )
    assert saved.status_code == 201, saved.text

    from airflow.sdk import DAG, task

    with DAG("form_made_connection", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:

        @task
        def read() -> dict:
            from airflow_openai.hooks.openai import OpenAIHook

            with OpenAIHook("from_the_form") as hook:
                settings = hook.settings
                return {
                    "base_url": settings.base_url,
                    "timeout": settings.timeout,
                    "max_retries": settings.max_retries,
                    "unset": [
                        settings.organization,
                        settings.project,
                        settings.admin_api_key,
                        settings.dashboard_url,
                        settings.output_root,
                        settings.workload_identity,
                    ],
                    "models": sum(1 for _ in hook.list_models()),
                }

        read()

    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"read": "success"}
    seen = xcom_value(dag_run, "read")
    assert seen["base_url"] == emu.base_url and seen["models"] > 0
    assert (seen["timeout"], seen["max_retries"]) == (600.0, 2)
    assert seen["unset"] == [None] * 6


def test_blank_extras_fall_back_like_absent_ones(monkeypatch):
    from airflow_openai.hooks.openai import OpenAIHook

    extra = {"organization": "", "project": "  ", "timeout": None, "max_retries": None, "auth_type": None}
    conn = {"conn_type": "openai_platform", "password": "sk-test", "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_BLANKS", json.dumps(conn))
    monkeypatch.setenv("OPENAI_ORG_ID", "org-env")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_env")

    settings = OpenAIHook("blanks").settings

    assert (settings.organization, settings.project) == ("org-env", "proj_env")
    assert (settings.timeout, settings.max_retries, settings.workload_identity) == (600.0, 2, None)


def test_a_blank_field_does_not_hide_the_other_providers_value(monkeypatch):
    from airflow_openai.hooks.openai import OpenAIHook

    extra = {"openai_client_kwargs": {"organization": "org-legacy", "max_retries": 5}, "organization": None}
    conn = {"conn_type": "openai_platform", "password": "sk-test", "extra": {**extra, "max_retries": None}}
    monkeypatch.setenv("AIRFLOW_CONN_MIXED", json.dumps(conn))

    settings = OpenAIHook("mixed").settings

    assert (settings.organization, settings.max_retries) == ("org-legacy", 5)
