"""The provider registers with Airflow and declares its own connection type and form."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

from airflow_openai.provider import get_provider_info


def test_entry_point_leads_to_provider_info():
    (entry,) = [
        ep for ep in entry_points(group="apache_airflow_provider") if ep.value.startswith("airflow_openai")
    ]
    assert entry.load() is get_provider_info


def test_connection_type_is_our_own_with_a_declared_form():
    (conn_type,) = get_provider_info()["connection-types"]
    assert (
        conn_type["connection-type"] == "openai_platform"
    )  # not "openai": installs beside the other provider
    assert conn_type["hook-class-name"] == "airflow_openai.hooks.openai.OpenAIHook"
    behaviour = conn_type["ui-field-behaviour"]
    assert behaviour["relabeling"] == {"password": "API key", "host": "Base URL"}
    assert {"organization", "project", "admin_api_key", "timeout", "max_retries"} <= set(
        conn_type["conn-fields"]
    )
    assert conn_type["conn-fields"]["admin_api_key"]["schema"]["format"] == "password"


def test_airflow_lists_the_provider_and_its_hook():
    airflow = Path(sys.executable).with_name("airflow")
    env = {**os.environ, "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR"}
    listed = subprocess.run(
        [str(airflow), "providers", "list", "-o", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr[-2000:]
    packages = {entry["package_name"] for entry in json.loads(listed.stdout[listed.stdout.index("[") :])}
    assert "airflow-provider-openai" in packages
    hooks = subprocess.run(
        [str(airflow), "providers", "hooks", "-o", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert "openai_platform" in hooks.stdout


def test_provider_info_passes_airflows_schema_and_declares_the_openai_config_section():
    import jsonschema
    from airflow import __file__ as airflow_init

    schema = json.loads((Path(airflow_init).parent / "provider_info.schema.json").read_text())
    info = get_provider_info()
    jsonschema.validate(info, schema)
    option = info["config"]["openai"]["options"]["output_root"]
    assert option["default"] == "" and option["type"] == "string"
    assert {"output_root", "dashboard_url"} <= set(info["connection-types"][0]["conn-fields"])
