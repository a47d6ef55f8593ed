"""The example DAG runs end to end in deferrable mode on a real Airflow against the emulator."""

from __future__ import annotations

import json

from tests.support.dag_runner import run_dag, task_states, xcom_value


def test_example_batch_dag_deferrable(airflow_db, openai_emulator_clean, tmp_path):
    from airflow_openai.example_dags.example_openai_batch import dag

    summarise = dag.get_task("summarise")
    summarise.deferrable = True
    summarise.output_path = str(tmp_path / "results.jsonl")
    dag_run = run_dag(dag, run_conf={"reviews": 200})

    assert task_states(dag_run) == {"load_reviews": "success", "summarise": "success", "report": "success"}
    manifest = xcom_value(dag_run, "summarise")
    assert manifest["succeeded"] == 200 and manifest["failed"] == 0 and manifest["usage"]["total_tokens"] > 0
    rows = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 200
    assert {row["custom_id"] for row in rows} == {f"prompt-{n}" for n in range(200)}
    assert all(row["parsed"]["sentiment"] in ("positive", "negative", "mixed") for row in rows)
    assert rows[0]["input"].startswith("Review #")
    report = xcom_value(dag_run, "report")
    assert sum(report["sentiments"].values()) == 200
