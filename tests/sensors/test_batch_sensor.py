"""OpenAIBatchSensor in poke and deferrable mode, through `dag.test()`."""

from __future__ import annotations

import pytest

from tests.support.batches import chat_line, jsonl
from tests.support.dag_runner import run_dag, task_states, xcom_value


def _batch(hook, lines):
    return hook.create_batch(
        hook.create_file(jsonl(lines), "batch", "in.jsonl").id, "/v1/chat/completions"
    ).id


@pytest.mark.parametrize("deferrable", [False, True])
def test_waits_for_a_batch_and_returns_it(airflow_db, emu, emu_hook, new_dag, deferrable):
    from airflow_openai.sensors.batch import OpenAIBatchSensor

    batch_id = _batch(emu_hook, [chat_line(n) for n in range(10)])
    with new_dag() as dag:
        OpenAIBatchSensor(task_id="wait", batch_id=batch_id, poke_interval=0.2, deferrable=deferrable)
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"wait": "success"}
    assert xcom_value(dag_run, "wait")["status"] == "completed"


def test_fails_clearly_when_the_batch_failed(airflow_db, emu, emu_hook, new_dag):
    from airflow_openai.sensors.batch import OpenAIBatchSensor

    batch_id = _batch(emu_hook, ["not json"])
    with new_dag() as dag:
        OpenAIBatchSensor(task_id="wait", batch_id=batch_id, poke_interval=0.2, mode="reschedule")
    dag_run = run_dag(dag)
    assert task_states(dag_run) == {"wait": "failed"}
