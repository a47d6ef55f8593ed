"""A batch task whose creates lose their answers still succeeds, with one input file and one batch."""

from __future__ import annotations

import pytest

from tests.support.dag_runner import run_dag, task_states, xcom_value


@pytest.mark.parametrize("route", ["/v1/files", "/v1/batches"])
def test_a_lost_answer_to_a_create_costs_nothing_extra(airflow_db, emu, emu_hook, new_dag, tmp_path, route):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    emu.fault(route, method="POST", after=True, drop=True, status=None)
    with new_dag() as dag:
        OpenAIBatchOperator(
            task_id="batch",
            prompts=[f"q{n}" for n in range(25)],
            model="gpt-4o-mini",
            poll_interval=0.2,
            output_path=str(tmp_path / "o.jsonl"),
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"batch": "success"}
    assert len(list(emu_hook.list_batches())) == 1, "one batch, however the answer was lost"
    assert len(list(emu_hook.list_files(purpose="batch"))) == 1, "one input file"
    manifest = xcom_value(dag_run, "batch")
    assert manifest["total"] == 25 and manifest["succeeded"] == 25
