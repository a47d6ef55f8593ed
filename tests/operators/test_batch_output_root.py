"""Without `output_path`, results go under an output root every worker can read, or, with a warning
saying why that matters, to the worker's own disk."""

from __future__ import annotations

import json

from tests.support.dag_runner import run_dag, task_states, xcom_value
from tests.support.task_instance import TaskInstanceStandIn


def _operator(**kwargs):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    return OpenAIBatchOperator(
        task_id="batch", prompts=["a", "b"], model="gpt-4o-mini", poll_interval=0.2, **kwargs
    )


def _rows(path) -> list[dict]:
    from airflow.sdk import ObjectStoragePath

    return [json.loads(line) for line in ObjectStoragePath(path).read_text().splitlines()]


def test_the_config_option_places_each_tasks_results_under_it(
    airflow_db, emu, new_dag, tmp_path, monkeypatch
):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    monkeypatch.setenv("AIRFLOW__OPENAI__OUTPUT_ROOT", f"{tmp_path}/shared/")  # read when the task runs
    with new_dag() as dag:
        OpenAIBatchOperator.partial(task_id="batch", model="gpt-4o-mini", poll_interval=0.2).expand(
            prompts=[["a", "b"], ["c"]]
        )
    dag_run = run_dag(dag)

    assert set(task_states(dag_run).values()) == {"success"}
    run = dag_run.run_id.replace(":", "_").replace("+", "_")
    for map_index, total in ((0, 2), (1, 1)):
        manifest = xcom_value(dag_run, "batch", map_index=map_index)
        expected = tmp_path / "shared" / dag.dag_id / run / f"batch-{map_index}.jsonl"
        assert manifest["output_path"] == str(expected)
        assert len(_rows(expected)) == total


def test_the_connections_output_root_names_object_storage_and_wins_over_the_config(
    emu, monkeypatch, tmp_path
):
    root = f"file://{tmp_path}/bucket/openai"  # any ObjectStoragePath URI: s3://, gs://, ...
    conn = {**emu.connection(), "extra": {"output_root": root}}
    monkeypatch.setenv("AIRFLOW_CONN_ROOTED", json.dumps(conn))
    monkeypatch.setenv("AIRFLOW__OPENAI__OUTPUT_ROOT", f"file://{tmp_path}/not-this-one/")
    ti = TaskInstanceStandIn("batch")

    manifest = _operator(openai_conn_id="rooted").execute({"ti": ti})

    expected = f"{root}/{ti.dag_id}/{ti.run_id}/batch.jsonl"
    assert manifest["output_path"] == expected
    assert [row["custom_id"] for row in _rows(expected)] == ["prompt-0", "prompt-1"]
    assert not (tmp_path / "not-this-one").exists()


def test_without_a_root_results_stay_on_the_worker_with_a_warning_saying_why(
    emu, monkeypatch, tmp_path, capsys
):
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")  # tasks on other machines
    monkeypatch.delenv("AIRFLOW__OPENAI__OUTPUT_ROOT", raising=False)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    ti = TaskInstanceStandIn("batch")

    manifest = _operator().execute({"ti": ti})  # the emulator's own connection names no output root

    expected = tmp_path / "openai_batches" / ti.dag_id / ti.run_id / "batch.jsonl"
    assert manifest["output_path"] == str(expected) and len(_rows(expected)) == 2
    log = capsys.readouterr().out  # the operator logs through Airflow's structlog, as in a worker
    (warning,) = [line for line in log.splitlines() if "[warning" in line]
    assert str(expected) in warning and "another worker" in warning
    assert "[openai] output_root" in warning and "AIRFLOW__OPENAI__OUTPUT_ROOT" in warning


def test_an_empty_option_is_no_root(emu, monkeypatch, tmp_path):
    monkeypatch.setenv("AIRFLOW__OPENAI__OUTPUT_ROOT", "")
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    manifest = _operator().execute({"ti": TaskInstanceStandIn("batch")})
    assert manifest["output_path"].startswith(str(tmp_path / "openai_batches"))


def test_where_every_task_runs_on_one_machine_there_is_no_warning(emu, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
    monkeypatch.delenv("AIRFLOW__OPENAI__OUTPUT_ROOT", raising=False)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))

    manifest = _operator().execute({"ti": TaskInstanceStandIn("batch")})

    assert manifest["output_path"].startswith(str(tmp_path / "openai_batches"))
    assert "[warning" not in capsys.readouterr().out


def test_a_deferred_batch_warns_once_not_again_when_it_resumes(
    airflow_db, emu, new_dag, monkeypatch, tmp_path, capsys
):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    monkeypatch.delenv("AIRFLOW__OPENAI__OUTPUT_ROOT", raising=False)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    with new_dag() as dag:
        OpenAIBatchOperator(
            task_id="batch", prompts=["a", "b"], model="gpt-4o-mini", poll_interval=0.2, deferrable=True
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"batch": "success"}
    captured = capsys.readouterr()
    warnings = [line for line in (captured.out + captured.err).splitlines() if "own disk" in line]
    assert len(warnings) == 1, warnings


def test_a_fine_tuning_job_waited_in_the_worker_warns_once(emu, monkeypatch, tmp_path, capsys):
    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator
    from tests.support.fine_tuning import records

    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    monkeypatch.delenv("AIRFLOW__OPENAI__OUTPUT_ROOT", raising=False)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    emu.set_speed(600)
    op = OpenAIFineTuningJobOperator(
        task_id="tune", model="gpt-4o-mini-2024-07-18", training_file=records(12), poll_interval=0.2
    )
    result = op.execute({"ti": TaskInstanceStandIn("tune")})

    assert result["metrics_path"].startswith(str(tmp_path / "openai_fine_tuning"))
    captured = capsys.readouterr()
    assert len([line for line in (captured.out + captured.err).splitlines() if "own disk" in line]) == 1
