"""The example DAGs run end to end on a real Airflow against the emulator, for runs without a logical
date (triggered from the REST API or `airflow dags trigger` without `-l`), as every example must allow."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.assets import consume
from tests.support.dag_runner import run_dag, task_states, xcom_value


def test_example_batch_dag_deferrable(airflow_db, openai_emulator_clean, tmp_path, monkeypatch):
    from airflow_openai.example_dags.example_openai_batch import dag, results_dag

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
    (published,) = consume(results_dag, "new_results", dag_run)  # what the DAG on the asset reads
    assert (
        published["output_path"] == manifest["output_path"]
        and published["batch_ids"] == manifest["batch_ids"]
    )
    assert (published["succeeded"], published["tokens"]) == (200, manifest["usage"]["total_tokens"])


def test_example_files_dag(airflow_db, openai_emulator_clean, tmp_path):
    from airflow_openai.example_dags.example_openai_files import copies_dag, dag

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
    assert consume(copies_dag, "new_copies", dag_run) == [{"path": f"{tmp_path}/corpus/copies/", "count": 3}]


def test_example_fine_tuning_dag(airflow_db, openai_emulator_clean, tmp_path, monkeypatch):
    """Records → check → fine-tune in the triggerer → both models evaluated by batch → a comparison
    in which the fine-tuned model answers the held-out tickets better than its base."""
    from airflow_openai.example_dags.example_openai_fine_tuning import dag, ready_dag

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
    ready = consume(ready_dag, "new_model", dag_run)
    assert (ready["job_id"], ready["fine_tuned_model"]) == (job["job_id"], job["fine_tuned_model"])
    assert (ready["tokens"], ready["path"]) == (job["trained_tokens"], job["metrics_path"])


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


def test_example_audit_logs_dag_exports_each_hour_once_and_snapshots_at_midnight(
    airflow_db, openai_emulator_clean, tmp_path, monkeypatch
):
    """Two scheduled hours ending at midnight UTC, then a run without a logical date given a window
    in its conf: one file per hour holding exactly its entries, one snapshot in the midnight run."""
    import httpx
    import pendulum

    from airflow_openai.example_dags.example_openai_audit_logs import dag, review_dag

    emu = openai_emulator_clean
    monkeypatch.setenv("AIRFLOW__OPENAI__OUTPUT_ROOT", f"file://{tmp_path}/shared")
    emu.set_speed(0)
    now = httpx.get(f"{emu.url}/_emulator/clock").json()["now"]
    midnight = (int(now) // 86400 + 1) * 86400
    emu.advance(midnight + 0.5 - now)
    seeded = emu.seed_organization_activity(hours=24, events_per_hour=10, seed=3)
    assert seeded["until"] == midnight
    hour = pendulum.duration(hours=1)

    states, hours, snapshots, runs = [], [], [], []
    for h in (1, 0):  # the hours ending at 23:00 and at midnight (dag.test keeps only the last run)
        dag_run = run_dag(dag, logical_date=pendulum.from_timestamp(midnight - h * 3600, tz="UTC"))
        runs.append(dag_run)
        states.append(task_states(dag_run))
        hours.append(xcom_value(dag_run, "export_audit_logs"))
        snapshots.append(xcom_value(dag_run, "snapshot"))
    window = {
        "start": pendulum.from_timestamp(midnight - 6 * 3600, tz="UTC").isoformat(),
        "end": str(midnight),
    }
    manual = run_dag(dag, logical_date=None, run_conf=window)

    assert states[0] == {"export_audit_logs": "success", "once_a_day": "success", "snapshot": "skipped"}
    assert set(states[1].values()) == {"success"}
    assert set(task_states(manual).values()) == {"success"}
    for n, exported in enumerate(hours):
        start = pendulum.from_timestamp(midnight - (2 - n) * 3600, tz="UTC")
        assert (exported["start"], exported["end"]) == (start.isoformat(), (start + hour).isoformat())
        assert exported["path"] == (
            f"file://{tmp_path}/shared/{dag.dag_id}/export_audit_logs/"
            f"{start:%Y%m%dT%H%M%S}Z-{start + hour:%Y%m%dT%H%M%S}Z.jsonl"
        )
        written = [json.loads(line) for line in Path(exported["path"][7:]).read_text().splitlines()]
        assert exported["count"] == len(written) == 10 == sum(exported["event_types"].values())
        assert all(start.int_timestamp <= e["effective_at"] < start.int_timestamp + 3600 for e in written)
    assert xcom_value(manual, "export_audit_logs")["count"] == 60
    reviewed = consume(review_dag, "new_exports", *runs)  # both hours, as after a catch-up
    assert reviewed == [{"path": exported["path"], "count": exported["count"]} for exported in hours]
    snapshot = snapshots[1]
    assert snapshots[0] is None
    assert snapshot["counts"]["project"] >= 1 and snapshot["unused_key_days"] == 90
    assert Path(snapshot["path"][7:]).read_text().count('"kind":"api_key"') == snapshot["counts"]["api_key"]


def test_example_runs_dag_answers_the_tool_call_in_the_worker(airflow_db, openai_emulator_clean):
    from airflow_openai.example_dags.example_openai_runs import dag

    # At 60 × real time, a run waiting on tool outputs expires after ten real seconds: ample.
    dag_run = run_dag(dag, logical_date=None)
    assert set(task_states(dag_run).values()) == {"success"}
    result = xcom_value(dag_run, "ask")
    assert result["status"] == "completed" and result["tool_calls_answered"] == 1
    assert "shipped" in result["messages"][-1]


def test_example_direct_dag_embeds_the_folder_and_answers_now(airflow_db, openai_emulator_clean, tmp_path):
    import json

    from airflow_openai.example_dags.example_openai_direct import TOPICS, dag, results_dag

    dag_run = run_dag(
        dag, logical_date=None, run_conf={"docs_folder": str(tmp_path / "docs"), "documents": 100}
    )
    assert set(task_states(dag_run).values()) == {"success"}
    embedded = xcom_value(dag_run, "embed")
    assert embedded["succeeded"] == 100 and embedded["failed"] == 0
    rows = [json.loads(line) for line in Path(embedded["output_path"]).read_text().splitlines()]
    assert len({row["id"] for row in rows}) == 100 and all(len(row["embedding"]) == 256 for row in rows)
    assert openai_emulator_clean.requests("/v1/embeddings", "POST") == 2, (
        "a hundred documents, 64 to a request"
    )
    assert xcom_value(dag_run, "ask")["succeeded"] == len(TOPICS)
    published = consume(results_dag, "new_results", dag_run)
    assert [extra["output_path"] for extra in published["openai://example/handbook-embeddings"]] == [
        embedded["output_path"]
    ]
    assert [extra["succeeded"] for extra in published["openai://example/handbook-answers"]] == [len(TOPICS)]
