"""The example DAGs run end to end on a real Airflow against the emulator, for runs without a logical
date (triggered from the REST API or `airflow dags trigger` without `-l`), as every example must allow."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.dag_runner import run_dag, task_states, xcom_value


def test_example_batch_dag_deferrable(airflow_db, openai_emulator_clean, tmp_path, monkeypatch):
    from airflow_openai.example_dags.example_openai_batch import dag

    monkeypatch.setenv("AIRFLOW__OPENAI__OUTPUT_ROOT", f"file://{tmp_path}/shared")
    summarise = dag.get_task("summarise")
    summarise.deferrable = True
    dag_run = run_dag(dag, run_conf={"reviews": 200}, logical_date=None)

    assert task_states(dag_run) == {"load_reviews": "success", "summarise": "success", "report": "success"}
    manifest = xcom_value(dag_run, "summarise")
    assert manifest["succeeded"] == 200 and manifest["failed"] == 0 and manifest["usage"]["total_tokens"] > 0
    assert dag_run.logical_date is None
    results = next((tmp_path / "shared" / dag.dag_id).glob("*/summarise.jsonl"))
    assert manifest["output_path"] == f"file://{results}"
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert len(rows) == 200
    assert {row["custom_id"] for row in rows} == {f"prompt-{n}" for n in range(200)}
    assert all(row["parsed"]["sentiment"] in ("positive", "negative", "mixed") for row in rows)
    assert rows[0]["input"].startswith("Review #")
    report = xcom_value(dag_run, "report")
    assert sum(report["sentiments"].values()) == 200


def test_example_files_dag(airflow_db, openai_emulator_clean, tmp_path):
    from airflow_openai.example_dags.example_openai_files import dag

    dag_run = run_dag(dag, run_conf={"folder": str(tmp_path / "corpus"), "keep_days": 7}, logical_date=None)

    assert set(task_states(dag_run).values()) == {"success"}
    uploaded = xcom_value(dag_run, "upload")
    assert len(uploaded["file_ids"]) == 3
    copies = xcom_value(dag_run, "copy_back")
    assert sorted(copies) == sorted(uploaded["file_ids"])
    for source, file_id in uploaded["files"].items():
        copy = tmp_path / "corpus" / "copies" / f"{file_id}-{source.rsplit('/', 1)[1]}"
        assert copy.read_bytes() == Path(source).read_bytes()
    assert xcom_value(dag_run, "tidy") == []


def test_example_fine_tuning_dag(airflow_db, openai_emulator_clean, tmp_path, monkeypatch):
    """Records → check → fine-tune in the triggerer → both models evaluated by batch → a comparison
    in which the fine-tuned model answers the held-out tickets better than its base."""
    from airflow_openai.example_dags.example_openai_fine_tuning import dag

    monkeypatch.setenv("AIRFLOW__OPENAI__OUTPUT_ROOT", f"file://{tmp_path}/shared")
    openai_emulator_clean.set_speed(600)
    dag_run = run_dag(dag, logical_date=None)

    assert set(task_states(dag_run).values()) == {"success"}, task_states(dag_run)
    job = xcom_value(dag_run, "fine_tune")
    assert job["status"] == "succeeded" and ":ticket-router:" in job["fine_tuned_model"]
    assert job["chart_path"].startswith(f"file://{tmp_path}/shared/{dag.dag_id}/")
    assert job["data_report"]["examples"] == 24 and job["data_report"]["validation_examples"] == 8
    comparison = xcom_value(dag_run, "compare")
    assert comparison["fine_tuned_model"] == job["fine_tuned_model"]
    assert comparison["accuracy"]["tuned"] >= 0.75 > comparison["accuracy"]["base"]
    assert len(comparison["rows"]) == 8


def test_example_vector_store_dag_twice_then_after_an_edit(airflow_db, openai_emulator_clean, tmp_path):
    """The first run fills the store; the second uploads nothing and makes no file batch; after
    an edit, one upload replaces one document."""
    from airflow_openai.example_dags.example_openai_vector_store import DOCS, dag

    emu = openai_emulator_clean
    emu.set_speed(600)
    conf = {"docs_folder": str(tmp_path / "handbook")}

    def uploads():
        return emu.requests("/v1/files", "POST") + emu.requests("/v1/uploads", "POST")

    first = xcom_value(run_dag(dag, run_conf=conf, logical_date=None), "ingest")
    assert first["added"] == len(DOCS) and first["failed"] == [] and uploads() == len(DOCS)
    batches = emu.requests("/v1/vector_stores/*/file_batches", "POST")

    second = xcom_value(run_dag(dag, run_conf=conf, logical_date=None), "ingest")
    assert second["vector_store_id"] == first["vector_store_id"]
    assert (second["added"], second["replaced"], second["removed"], second["unchanged"]) == (
        0,
        0,
        0,
        len(DOCS),
    )
    assert uploads() == len(DOCS) and emu.requests("/v1/vector_stores/*/file_batches", "POST") == batches

    third = xcom_value(run_dag(dag, run_conf={**conf, "edit": True}, logical_date=None), "ingest")
    assert (third["replaced"], third["unchanged"]) == (1, len(DOCS) - 1) and uploads() == len(DOCS) + 1
    assert third["file_counts"]["completed"] == len(DOCS)
