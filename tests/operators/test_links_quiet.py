"""A task that fails before its batch, job, store or thread exists has nothing for its link to open: the
link is empty and says nothing, so the last error of the task's log is the reason it failed."""

from __future__ import annotations

import json
import re

import pytest

from tests.support.dag_runner import run_dag, task_states, xcom_value

REFUSED_KEY = "not-an-openai-key"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT")


def _batch(tmp_path, **common):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    return OpenAIBatchOperator(prompts=["a"], model="gpt-4o-mini", output_path=str(tmp_path / "o"), **common)


def _bad_batch_input(tmp_path, **common):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    row = {"prompt": "a", "custom_id": "rev-18", "review_id": 5}
    return OpenAIBatchOperator(prompts=[row], model="gpt-4o-mini", output_path=str(tmp_path / "o"), **common)


def _fine_tuning(tmp_path, **common):
    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator

    example = {
        "messages": [
            {"role": "user", "content": "Where is my order?"},
            {"role": "assistant", "content": "It ships tomorrow."},
        ]
    }
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(example) + "\n" for _ in range(10)))
    return OpenAIFineTuningJobOperator(
        model="gpt-4o-mini-2024-07-18", training_file=str(data), output_path=str(tmp_path / "m"), **common
    )


def _vector_store(tmp_path, **common):
    from airflow_openai.operators.vector_stores import OpenAIVectorStoreIngestOperator

    (tmp_path / "a.md").write_text("the text of a")
    return OpenAIVectorStoreIngestOperator(source=str(tmp_path / "*.md"), store_key="notes", **common)


def _assistant_run(tmp_path, **common):
    from airflow_openai.operators.runs import OpenAIAssistantRunOperator

    return OpenAIAssistantRunOperator(assistant_id="asst_abc", messages="Hello", **common)


TASKS = {
    "a batch of bad input": (_bad_batch_input, "emu", "OpenAIBatchLink", "unknown key 'review_id'"),
    "a batch": (_batch, "refused", "OpenAIBatchLink", "AuthenticationError"),
    "a fine-tuning job": (_fine_tuning, "refused", "OpenAIFineTuningJobLink", "AuthenticationError"),
    "a vector store": (_vector_store, "refused", "OpenAIVectorStoreLink", "AuthenticationError"),
    "an assistant run": (_assistant_run, "refused", "OpenAIThreadLink", "AuthenticationError"),
}


@pytest.fixture
def connections(emu, monkeypatch):
    """The emulator's connection, and one whose key the emulator refuses (a 401 on the first call)."""
    monkeypatch.setenv("AIRFLOW_CONN_EMU", json.dumps(emu.connection()))
    monkeypatch.setenv("AIRFLOW_CONN_REFUSED", json.dumps({**emu.connection(), "password": REFUSED_KEY}))


def _failure(log: str) -> tuple[str, str]:
    """The last error line of a task's log, and the last line of the traceback that follows it."""
    lines = log.splitlines()
    last = max(index for index, line in enumerate(lines) if LOG_LINE.match(line) and "[error" in line)
    after = lines[last + 1 :]
    traceback = after[: next((i for i, line in enumerate(after) if LOG_LINE.match(line)), len(after))]
    return lines[last], traceback[-1] if traceback else ""


@pytest.mark.parametrize("task", list(TASKS))
def test_the_last_error_is_the_reason_not_the_link(
    airflow_db, emu, connections, new_dag, tmp_path, capsys, task
):
    make, conn_id, link, reason = TASKS[task]
    with new_dag() as dag:
        make(tmp_path, task_id="task", openai_conn_id=conn_id, poll_interval=0.1)
    dag_run = run_dag(dag)
    log = capsys.readouterr().out

    assert task_states(dag_run) == {"task": "failed"}
    assert "XCom not found" not in log
    last_error, raised = _failure(log)
    assert "Task failed with exception" in last_error, last_error
    assert reason in raised, raised
    assert xcom_value(dag_run, "task", key=f"_link_{link}") == ""
