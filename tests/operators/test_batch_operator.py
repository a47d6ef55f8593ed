"""OpenAIBatchOperator on a real Airflow (`dag.test()`, SQLite) against the emulator over loopback."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.support.dag_runner import run_dag, task_states, xcom_value


def _rows(path):
    return [json.loads(line) for line in open(path)]


def test_bad_input_fails_the_task_before_any_remote_call(airflow_db, emu, emu_hook, new_dag, tmp_path):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    requests = [{"custom_id": "same", "body": {"messages": [{"role": "user", "content": "a"}]}}] * 2
    with new_dag() as dag:
        OpenAIBatchOperator(
            task_id="batch",
            requests=requests,
            model="gpt-4o-mini",
            retries=2,
            output_path=str(tmp_path / "o.jsonl"),
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"batch": "failed"}, "bad input must not be retried"
    assert list(emu_hook.list_files()) == [] and list(emu_hook.list_batches()) == []


def test_a_retried_task_reattaches_to_its_batch(airflow_db, emu, emu_hook, new_dag, tmp_path):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    emu.fault(
        "/v1/batches/*", method="GET", status=400, count=1
    )  # the first attempt dies right after submitting
    with new_dag() as dag:
        OpenAIBatchOperator(
            task_id="batch",
            prompts=[f"q{n}" for n in range(30)],
            model="gpt-4o-mini",
            retries=1,
            retry_delay=timedelta(0),
            poll_interval=0.2,
            output_path=str(tmp_path / "o.jsonl"),
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"batch": "success"}
    batches = list(emu_hook.list_batches())
    assert len(batches) == 1, "the retry must reattach, not submit a second batch"
    assert len([f for f in emu_hook.list_files(purpose="batch")]) == 1
    manifest = xcom_value(dag_run, "batch")
    assert manifest["batch_ids"] == [batches[0].id] and manifest["succeeded"] == 30
    assert (
        batches[0].metadata["airflow_task_id"] == "batch"
        and batches[0].metadata["airflow_run_id"] == dag_run.run_id
    )


def test_a_completed_batch_is_not_resubmitted_when_the_task_fails_afterwards(
    airflow_db, emu, emu_hook, new_dag, tmp_path
):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    emu.fault(
        "/v1/files/*/content", method="GET", status=403, count=1
    )  # results cannot be fetched the first time
    with new_dag() as dag:
        OpenAIBatchOperator(
            task_id="batch",
            prompts=["a", "b", "c"],
            model="gpt-4o-mini",
            retries=1,
            retry_delay=timedelta(0),
            poll_interval=0.2,
            output_path=str(tmp_path / "o.jsonl"),
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"batch": "success"}
    assert len(list(emu_hook.list_batches())) == 1
    assert [row["custom_id"] for row in _rows(tmp_path / "o.jsonl")] == ["prompt-0", "prompt-1", "prompt-2"]


def test_an_expired_batch_is_completed_by_one_resubmission(airflow_db, emu, emu_hook, new_dag, tmp_path):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    emu.set_speed(40_000)
    emu.set_line_time(1000)  # 100 lines need 100,000 s: about 86 finish inside the 24 h window
    with new_dag() as dag:
        OpenAIBatchOperator(
            task_id="batch",
            prompts=[f"q{n}" for n in range(100)],
            model="gpt-4o-mini",
            poll_interval=0.3,
            output_path=str(tmp_path / "o.jsonl"),
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"batch": "success"}
    first, retry = sorted(emu_hook.list_batches(), key=lambda b: b.created_at)
    assert first.status == "expired" and retry.status == "completed"
    assert 0 < retry.request_counts.total < 100
    rows = _rows(tmp_path / "o.jsonl")
    assert len(rows) == 100 and {row["status"] for row in rows} == {"succeeded"}
    assert {row["custom_id"] for row in rows} == {f"prompt-{n}" for n in range(100)}
    manifest = xcom_value(dag_run, "batch")
    assert manifest["batch_ids"] == [first.id, retry.id] and manifest["succeeded"] == 100


def test_a_timeout_cancels_the_batch_and_says_so(airflow_db, emu, emu_hook, new_dag, tmp_path):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    emu.set_speed(1)
    with new_dag() as dag:
        OpenAIBatchOperator(
            task_id="batch",
            prompts=["a", "b"],
            model="gpt-4o-mini",
            timeout=1.5,
            poll_interval=0.3,
            output_path=str(tmp_path / "o.jsonl"),
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"batch": "failed"}
    (batch,) = emu_hook.list_batches()
    assert batch.status in ("cancelling", "cancelled")


def test_failed_lines_are_saved_then_fail_the_task_beyond_the_allowed_share(
    airflow_db, emu, emu_hook, new_dag, tmp_path
):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    requests = [{"input": f"text {n}", "dimensions": 8 if n % 4 else 99999} for n in range(8)]
    with new_dag() as dag:
        OpenAIBatchOperator(
            task_id="batch",
            requests=requests,
            endpoint="/v1/embeddings",
            model="text-embedding-3-small",
            poll_interval=0.2,
            max_failed_fraction=0.1,
            output_path=str(tmp_path / "o.jsonl"),
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"batch": "failed"}
    rows = _rows(tmp_path / "o.jsonl")
    assert len(rows) == 8 and sum(row["status"] == "failed" for row in rows) == 2
    failed = next(row for row in rows if row["status"] == "failed")
    assert failed["status_code"] == 400 and failed["input"]["dimensions"] == 99999
    assert (
        len(next(row for row in rows if row["status"] == "succeeded")["response"]["data"][0]["embedding"])
        == 8
    )


def test_answers_that_break_the_schema_are_failed_rows_with_the_reason(airflow_db, emu, new_dag, tmp_path):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    schema = {
        "title": "Code",
        "type": "object",
        "properties": {"code": {"type": "string", "pattern": "^[0-9]{4}$"}},
    }
    with new_dag() as dag:
        OpenAIBatchOperator(
            task_id="batch",
            prompts=["give a code"],
            model="gpt-4o-mini",
            response_format=schema,
            poll_interval=0.2,
            max_failed_fraction=1.0,
            output_path=str(tmp_path / "o.jsonl"),
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"batch": "success"}
    (row,) = _rows(tmp_path / "o.jsonl")
    assert row["status"] == "failed" and row["error"]["code"] == "invalid_structured_output"
    assert "does not match" in row["error"]["message"]
    assert xcom_value(dag_run, "batch")["failures_by_reason"] == {"invalid_structured_output": 1}


def test_mapped_tasks_each_get_their_batch_and_output(airflow_db, emu, emu_hook, new_dag):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    with new_dag() as dag:
        OpenAIBatchOperator.partial(task_id="batch", model="gpt-4o-mini", poll_interval=0.2).expand(
            prompts=[["a", "b"], ["c"]]
        )
    dag_run = run_dag(dag)

    manifests = [xcom_value(dag_run, "batch", map_index=i) for i in (0, 1)]
    assert [m["total"] for m in manifests] == [2, 1]
    assert manifests[0]["output_path"] != manifests[1]["output_path"] and manifests[1][
        "output_path"
    ].endswith("batch-1.jsonl")
    assert sorted(b.metadata["airflow_map_index"] for b in emu_hook.list_batches()) == ["0", "1"]


def test_without_waiting_the_task_returns_the_batch_ids(airflow_db, emu, emu_hook, new_dag):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    with new_dag() as dag:
        OpenAIBatchOperator(task_id="batch", prompts=["a"], model="gpt-4o-mini", wait_for_completion=False)
    dag_run = run_dag(dag)

    result = xcom_value(dag_run, "batch")
    assert result["batch_ids"] == [b.id for b in emu_hook.list_batches()] and result["requests"] == 1
    assert xcom_value(dag_run, "batch", key="batch_ids") == result["batch_ids"]


def test_a_jsonl_file_from_object_storage(airflow_db, emu, new_dag, tmp_path):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    source = tmp_path / "requests.jsonl"
    source.write_text(
        "".join(
            json.dumps({"custom_id": f"r{n}", "body": {"messages": [{"role": "user", "content": str(n)}]}})
            + "\n"
            for n in range(5)
        )
    )
    with new_dag() as dag:
        OpenAIBatchOperator(
            task_id="batch",
            input_file=f"file://{source}",
            model="gpt-4o-mini",
            poll_interval=0.2,
            output_path=f"file://{tmp_path}/out/results.jsonl",
        )
    dag_run = run_dag(dag)

    assert xcom_value(dag_run, "batch")["succeeded"] == 5
    assert sorted(row["custom_id"] for row in _rows(tmp_path / "out" / "results.jsonl")) == [
        f"r{n}" for n in range(5)
    ]


def test_constructing_the_operator_rejects_ambiguous_input():
    from airflow_openai.operators.batch import OpenAIBatchOperator

    with pytest.raises(ValueError, match="exactly one of"):
        OpenAIBatchOperator(task_id="x", prompts=["a"], requests=[{}])
    with pytest.raises(ValueError, match="exactly one of"):
        OpenAIBatchOperator(task_id="x")
