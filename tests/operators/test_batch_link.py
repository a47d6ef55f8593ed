"""The "OpenAI batch" link: the task's batches on the dashboard of its connection, as Airflow shows it."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.support.dag_runner import run_dag, task_states, xcom_value
from tests.support.keys import PROJECT_KEY

LINK_KEY = "_link_OpenAIBatchLink"  # where Airflow keeps the link for its UI and REST API


def _two_batches(folder) -> str:
    """26 embedding requests of 2,000 inputs each (the API's most per request), past the 50,000 inputs
    one batch may hold (a file: Airflow would render every string of a `requests` list that long,
    which takes seconds)."""
    path = folder / "two-batches.jsonl"
    path.write_text("".join(json.dumps({"input": ["x"] * 2_000, "dimensions": 1}) + "\n" for _ in range(26)))
    return str(path)


def _tasks(conn_id: str, folder) -> None:
    from airflow_openai.operators.batch import OpenAIBatchOperator

    common = {"openai_conn_id": conn_id, "wait_for_completion": False}
    OpenAIBatchOperator(task_id=f"{conn_id}_one", prompts=["a"], model="gpt-4o-mini", **common)
    OpenAIBatchOperator(
        task_id=f"{conn_id}_two",
        input_file=_two_batches(folder),
        endpoint="/v1/embeddings",
        model="text-embedding-3-small",
        **common,
    )


@pytest.fixture
def connections(emu, monkeypatch):
    """Three connections to the emulator: as `Emulator.connection()` makes it (with its dashboard), one
    whose dashboard is the OpenAI platform, and one naming no dashboard for a host that is not OpenAI's."""
    plain = {"conn_type": "openai_platform", "host": emu.base_url, "password": PROJECT_KEY}
    platform = {**plain, "extra": {"dashboard_url": "https://platform.openai.com/"}}
    monkeypatch.setenv("AIRFLOW_CONN_EMU", json.dumps(emu.connection()))
    monkeypatch.setenv("AIRFLOW_CONN_PLATFORM", json.dumps(platform))
    monkeypatch.setenv("AIRFLOW_CONN_ELSEWHERE", json.dumps(plain))


def test_the_link_shows_the_tasks_batches_on_its_connections_dashboard(
    airflow_db, emu, connections, new_dag, tmp_path, monkeypatch
):
    with new_dag() as dag:
        for conn_id in ("emu", "platform", "elsewhere"):
            _tasks(conn_id, tmp_path)
    dag_run = run_dag(dag)

    assert set(task_states(dag_run).values()) == {"success"}
    ids = {task: xcom_value(dag_run, task, key="batch_ids") for task in task_states(dag_run)}
    links = {task: xcom_value(dag_run, task, key=LINK_KEY) for task in task_states(dag_run)}
    assert [len(ids[f"{conn}_two"]) for conn in ("emu", "platform", "elsewhere")] == [2, 2, 2]
    first, second = ids["emu_two"]
    assert links == {
        "emu_one": f"{emu.dashboard_url}/batches/{ids['emu_one'][0]}",
        "emu_two": f"{emu.dashboard_url}/batches?ids={first},{second}",
        "platform_one": f"https://platform.openai.com/batches/{ids['platform_one'][0]}",
        "platform_two": "https://platform.openai.com/batches",
        "elsewhere_one": "",
        "elsewhere_two": "",
    }
    one, several = httpx.get(links["emu_one"]), httpx.get(links["emu_two"])
    assert one.status_code == 200 and ids["emu_one"][0] in one.text
    assert several.status_code == 200 and first in several.text and second in several.text

    # What the UI asks Airflow's REST API for: an empty link is null there (the button is disabled).
    from airflow.api_fastapi.app import create_app
    from fastapi.testclient import TestClient

    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")  # no login
    with TestClient(create_app("core")) as api:
        shown = {
            task: api.get(
                f"/api/v2/dags/{dag.dag_id}/dagRuns/{dag_run.run_id}/taskInstances/{task}/links"
            ).json()
            for task in ("emu_two", "elsewhere_one")
        }
    assert shown["emu_two"]["extra_links"] == {"OpenAI batch": links["emu_two"]}
    assert shown["elsewhere_one"]["extra_links"] == {"OpenAI batch": None}
