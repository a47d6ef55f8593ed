"""Splitting past the per-batch limits, and cancelling on kill."""

from __future__ import annotations

import json

from tests.support.dag_runner import run_dag, task_states, xcom_value
from tests.support.worker import waiting_in_a_worker


def test_120000_requests_become_three_batches_whose_results_merge(
    airflow_db, emu, emu_hook, new_dag, tmp_path
):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    emu.set_speed(100_000)
    source = tmp_path / "requests.jsonl"
    with source.open("w") as sink:
        sink.writelines(json.dumps({"input": f"t{n}", "dimensions": 1}) + "\n" for n in range(120_000))
    with new_dag() as dag:
        OpenAIBatchOperator(
            task_id="embed",
            input_file=str(source),
            endpoint="/v1/embeddings",
            model="text-embedding-3-small",
            poll_interval=0.5,
            output_path=str(tmp_path / "vectors.jsonl"),
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"embed": "success"}
    batches = list(emu_hook.list_batches())
    assert sorted(b.request_counts.total for b in batches) == [20_000, 50_000, 50_000]
    assert sorted(b.metadata["airflow_chunk"] for b in batches) == ["1/3", "2/3", "3/3"]
    manifest = xcom_value(dag_run, "embed")
    assert manifest["succeeded"] == 120_000 and len(manifest["batch_ids"]) == 3
    seen = set()
    with open(tmp_path / "vectors.jsonl") as results:
        for line in results:
            row = json.loads(line)
            assert row["input"]["input"] == f"t{row['custom_id'].split('-')[1]}"
            seen.add(row["custom_id"])
    assert len(seen) == 120_000


def test_on_kill_cancels_the_batch_the_task_is_waiting_for(emu, emu_hook, tmp_path, capfd):
    from airflow.sdk.exceptions import AirflowException

    from airflow_openai.operators.batch import OpenAIBatchOperator

    emu.set_speed(1)
    op = OpenAIBatchOperator(
        task_id="batch", prompts=[f"q{n}" for n in range(100)], model="gpt-4o-mini", poll_interval=0.2
    )
    worker, outcome, batch_id = waiting_in_a_worker(op)
    op.on_kill()
    emu.set_speed(60)  # let the cancellation finish
    worker.join(30)

    assert emu_hook.get_batch(batch_id).status in ("cancelling", "cancelled")
    assert isinstance(outcome.get("error"), AirflowException)
    assert "The task was killed" in str(outcome["error"]), "the error says the task was killed"
    assert "cancelled outside" not in str(outcome["error"])
    captured = capfd.readouterr()
    log = captured.out + captured.err  # the operator's structlog lines
    assert "because the task was killed" in log
    assert "cancelled outside" not in log, "the log does not contradict itself"
    assert f"Batch {batch_id} cancelled: this task cancelled it when it was killed" in log


def test_a_batch_cancelled_elsewhere_says_so(emu, emu_hook, tmp_path):
    from airflow.sdk.exceptions import AirflowException

    from airflow_openai.operators.batch import OpenAIBatchOperator

    emu.set_speed(1)
    op = OpenAIBatchOperator(
        task_id="batch", prompts=[f"q{n}" for n in range(100)], model="gpt-4o-mini", poll_interval=0.2
    )
    worker, outcome, batch_id = waiting_in_a_worker(op)
    emu_hook.cancel_batch(batch_id)  # from the dashboard, another script...
    emu.set_speed(60)
    worker.join(30)

    assert isinstance(outcome.get("error"), AirflowException)
    assert f"Batch {batch_id} cancelled: it was cancelled outside this task" in str(outcome["error"])
