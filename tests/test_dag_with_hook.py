"""A DAG run through `dag.test()` on a real Airflow uses the hook with a connection given as JSON,
and the key shows up in neither the task output nor XCom.

Airflow masks registered secrets in real task logs; `dag.test()` prints unmasked, so
this checks that the provider never puts a key into a log line at all."""

from __future__ import annotations

import json

import pendulum

from tests.support.dag_runner import run_dag, task_states, xcom_value
from tests.support.keys import PROJECT_KEY
from tests.support.scripted_server import Reply, error_body


def test_dag_task_uses_the_connection_and_leaks_no_key(airflow_db, server, monkeypatch, no_secret_in_logs):
    from airflow.sdk import DAG, task

    conn = {"conn_type": "openai_platform", "host": server.base_url, "password": PROJECT_KEY}
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_DEFAULT", json.dumps(conn))
    models = [{"id": "gpt-4o-mini", "object": "model", "created": 1, "owned_by": "openai"}]
    server.queue("GET", "/v1/models", Reply(429, error_body("slow down"), headers={"retry-after-ms": "50"}))
    server.handle("GET", "/v1/models", lambda seen: Reply(200, {"object": "list", "data": models}))

    with DAG("hook_in_a_task", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:

        @task
        def model_ids() -> list[str]:
            from airflow_openai.hooks.openai import OpenAIHook

            with OpenAIHook() as hook:
                return [model.id for model in hook.list_models()]

        model_ids()

    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"model_ids": "success"}
    assert xcom_value(dag_run, "model_ids") == ["gpt-4o-mini"]
    assert server.requests_to("/v1/models")[0].headers["authorization"] == f"Bearer {PROJECT_KEY}"
    task_log = "\n".join(no_secret_in_logs.lines)
    assert "GET /models failed" in task_log, "the retry should be visible in the task log"
    assert PROJECT_KEY not in task_log
