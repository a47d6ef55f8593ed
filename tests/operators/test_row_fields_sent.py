"""A DAG's rows against the emulator: a row's `metadata` reaches its result row and never the API; a field
the API description does not define fails the task before anything is uploaded; `extra_body` is sent, and
answered where the service (here: an emulator told to take the field) knows it."""

from __future__ import annotations

import io
import json

import pytest

from tests.support.dag_runner import run_dag, task_states
from tests.support.task_instance import TaskInstanceStandIn


def _rows(path) -> list[dict]:
    return [json.loads(line) for line in open(path)]


def test_a_rows_metadata_is_in_its_result_row_and_not_in_the_batch_input(
    airflow_db, emu, emu_hook, new_dag, tmp_path
):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    output = tmp_path / "o.jsonl"
    prompts = [
        {"prompt": "Is review 5 positive?", "custom_id": "rev-5", "metadata": {"review_id": 5}},
        {"prompt": "Is review 6 positive?", "custom_id": "rev-6", "metadata": {"review_id": 6, "team": "eu"}},
        "A plain prompt",
    ]
    with new_dag() as dag:
        OpenAIBatchOperator(
            task_id="batch", prompts=prompts, model="gpt-4o-mini", poll_interval=0.2, output_path=str(output)
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"batch": "success"}
    by_id = {row["custom_id"]: row for row in _rows(output)}
    assert by_id["rev-5"]["metadata"] == {"review_id": 5} and by_id["rev-5"]["status"] == "succeeded"
    assert by_id["rev-6"]["metadata"] == {"review_id": 6, "team": "eu"}
    assert "metadata" not in by_id["prompt-2"]
    (uploaded,) = emu_hook.list_files(purpose="batch")
    sink = io.BytesIO()
    emu_hook.download_file(uploaded.id, sink)
    assert b"review_id" not in sink.getvalue() and b"metadata" not in sink.getvalue()


def test_direct_calls_keep_a_rows_metadata_out_of_the_request(emu, tmp_path, monkeypatch):
    """`metadata` is no parameter of chat completions (API 2.3.0): sent, the emulator would refuse the row."""
    from airflow_openai.operators.direct import OpenAIDirectCallsOperator

    output = tmp_path / "o.jsonl"
    line = {"custom_id": "rev-7", "body": {"messages": [{"role": "user", "content": "Good?"}]}}
    OpenAIDirectCallsOperator(
        task_id="direct",
        requests=[{**line, "metadata": {"review_id": 7}}],
        model="gpt-4o-mini",
        output_path=str(output),
    ).execute({"ti": TaskInstanceStandIn("direct")})

    (row,) = _rows(output)
    assert row["status"] == "succeeded" and row["metadata"] == {"review_id": 7}


def test_the_issues_row_fails_the_task_naming_the_key_and_nothing_is_uploaded(
    airflow_db, emu, emu_hook, new_dag, tmp_path
):
    from airflow_openai.operators.direct import OpenAIDirectCallsOperator

    with new_dag() as dag:
        OpenAIDirectCallsOperator(
            task_id="direct",
            prompts=[{"prompt": "Is this review positive?", "custom_id": "rev-18", "review_id": 5}],
            model="gpt-4o-mini",
            output_path=str(tmp_path / "o.jsonl"),
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"direct": "failed"}
    assert emu.requests("/v1/*") == 0 and not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"request_parameters": {"temperature": 0, "review_id": 5}},
            r"request_parameters: 'review_id' is not a parameter of /v1/chat/completions \(API 2.3.0\)",
        ),
        (
            {"extra_body": ["reasoning_effort", "low"]},
            r"extra_body must be a dict of body parameters, not list",
        ),
    ],
)
@pytest.mark.parametrize("operator", ["OpenAIBatchOperator", "OpenAIDirectCallsOperator"])
def test_parameters_no_row_could_send_fail_the_dag_import(operator, kwargs, message):
    from airflow_openai.operators import batch, direct

    cls = getattr(batch, operator, None) or getattr(direct, operator)
    with pytest.raises(ValueError, match=message):
        cls(task_id="t", prompts=["a"], model="gpt-4o-mini", **kwargs)


def _direct(tmp_path, conn_id: str, **kwargs):
    from airflow_openai.operators.direct import OpenAIDirectCallsOperator

    output = tmp_path / f"{conn_id}.jsonl"
    operator = OpenAIDirectCallsOperator(
        task_id="direct",
        openai_conn_id=conn_id,
        prompts=["a", {"prompt": "b", "extra_body": {"store": True}}],
        model="gpt-4o-mini",
        max_failed_fraction=1.0,
        output_path=str(output),
        **kwargs,
    )
    operator.execute({"ti": TaskInstanceStandIn("direct")})
    return {row["custom_id"]: row for row in _rows(output)}


def test_extra_body_is_sent_and_the_emulator_refuses_it_as_the_service_refuses_unknown_fields(
    emu, tmp_path, monkeypatch
):
    monkeypatch.setenv("AIRFLOW_CONN_EMU_DIRECT", json.dumps(emu.connection()))

    rows = _direct(tmp_path, "emu_direct", extra_body={"reasoning_effort": "low"})

    assert {row["status"] for row in rows.values()} == {"failed"}
    assert rows["prompt-0"]["error"]["message"] == "Unrecognized request argument supplied: reasoning_effort"
    assert rows["prompt-0"]["error"]["param"] == "reasoning_effort"


def test_extra_body_is_answered_by_an_emulator_told_to_take_its_fields(tmp_path, monkeypatch):
    from airflow_openai.emulator import Emulator

    with Emulator(accept_fields=["reasoning_effort", "store"]) as accepting:
        monkeypatch.setenv("AIRFLOW_CONN_ACCEPTING", json.dumps(accepting.connection()))
        rows = _direct(tmp_path, "accepting", extra_body={"reasoning_effort": "low"})

    assert {row["status"] for row in rows.values()} == {"succeeded"}
