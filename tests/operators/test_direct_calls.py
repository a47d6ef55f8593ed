"""OpenAIDirectCallsOperator on a real Airflow (`dag.test()`, SQLite) against the emulator over loopback."""

from __future__ import annotations

import json
import threading
import time

import pytest

from tests.support.dag_runner import run_dag, task_states, xcom_value


def _rows(path):
    return [json.loads(line) for line in open(path)]


def _chat_calls(emu) -> int:
    return emu.requests("/v1/chat/completions", "POST")


def test_prompts_are_answered_at_the_rate_limit_and_written_once(airflow_db, emu, new_dag, tmp_path):
    from airflow_openai.operators.direct import OpenAIDirectCallsOperator

    emu.limit_inference(requests_per_minute=600, tokens_per_minute=1_000_000)
    output = tmp_path / "answers.jsonl"
    with new_dag() as dag:
        OpenAIDirectCallsOperator(
            task_id="direct",
            prompts=[f"question {n}" for n in range(40)],
            model="gpt-4o-mini",
            concurrency=8,
            log_every=0.5,
            output_path=str(output),
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"direct": "success"}
    rows = _rows(output)
    assert sorted(row["custom_id"] for row in rows) == sorted({row["custom_id"] for row in rows})
    assert len(rows) == 40 and all(row["status"] == "succeeded" for row in rows)
    assert all(row["input"] and row["content"] for row in rows)
    manifest = xcom_value(dag_run, "direct")
    assert manifest["succeeded"] == 40 and manifest["failed"] == 0
    assert not (tmp_path / "answers.jsonl.journal").exists()
    assert _chat_calls(emu) == 40


def test_bad_input_fails_before_any_call(airflow_db, emu, new_dag, tmp_path):
    from airflow_openai.operators.direct import OpenAIDirectCallsOperator

    requests = [{"custom_id": "same", "body": {"messages": [{"role": "user", "content": "a"}]}}] * 2
    with new_dag() as dag:
        OpenAIDirectCallsOperator(
            task_id="direct",
            requests=requests,
            model="gpt-4o-mini",
            retries=2,
            output_path=str(tmp_path / "o.jsonl"),
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"direct": "failed"}


def _journal_rows(path) -> int:
    try:
        return sum(1 for _ in open(path, "rb")) - 1
    except FileNotFoundError:
        return 0


def test_the_timeout_stops_sending_and_keeps_what_was_answered(emu, tmp_path):
    from airflow.sdk.exceptions import AirflowException

    from airflow_openai.operators.direct import OpenAIDirectCallsOperator

    emu.set_latency(100)
    output = tmp_path / "answers.jsonl"
    operator = OpenAIDirectCallsOperator(
        task_id="direct",
        prompts=[f"q{n}" for n in range(200)],
        model="gpt-4o-mini",
        concurrency=2,
        timeout=1.0,
        output_path=str(output),
    )
    with pytest.raises(
        AirflowException, match=r"the timeout passed\) with \d+ of 200 answered; a retry sends"
    ):
        operator.execute({})

    answered = _journal_rows(tmp_path / "answers.jsonl.journal")
    assert 0 < answered < 200 and not output.exists()
    assert emu.requests("/v1/chat/completions", "POST") <= answered + 2


def test_a_kill_stops_sending_and_the_answers_stay(emu, tmp_path):
    from airflow.sdk.exceptions import AirflowException

    from airflow_openai.operators.direct import OpenAIDirectCallsOperator

    emu.set_latency(50)
    journal = tmp_path / "answers.jsonl.journal"
    operator = OpenAIDirectCallsOperator(
        task_id="direct",
        prompts=[f"q{n}" for n in range(400)],
        model="gpt-4o-mini",
        concurrency=4,
        output_path=str(tmp_path / "answers.jsonl"),
    )
    failure: list[BaseException] = []

    def run() -> None:
        try:
            operator.execute({})
        except BaseException as exc:  # the task's own thread would raise it to Airflow
            failure.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 60
    while _journal_rows(journal) < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    operator.on_kill()
    worker.join(timeout=30)

    assert not worker.is_alive()
    assert failure and isinstance(failure[0], AirflowException) and "stopped with" in str(failure[0])
    answered = _journal_rows(journal)
    assert 20 <= answered < 400
    assert emu.requests("/v1/chat/completions", "POST") <= answered + 4, "at most the ones in flight are lost"


def test_a_429_pauses_every_request_and_the_refused_one_is_sent_again(emu, tmp_path):
    from airflow_openai.operators.direct import OpenAIDirectCallsOperator

    emu.fault("/v1/chat/completions", method="POST", status=429, retry_after=0.3, count=3)
    operator = OpenAIDirectCallsOperator(
        task_id="direct",
        prompts=[f"q{n}" for n in range(30)],
        model="gpt-4o-mini",
        concurrency=4,
        output_path=str(tmp_path / "answers.jsonl"),
    )
    manifest = operator.execute({})

    assert manifest["succeeded"] == 30 and manifest["failed"] == 0
    assert emu.requests("/v1/chat/completions", "POST") == 33, "each refusal sent again once, nothing more"


def test_requests_refused_again_and_again_are_left_to_the_retry_unpaid(emu, tmp_path):
    from airflow.sdk.exceptions import AirflowException

    from airflow_openai.operators.direct import OpenAIDirectCallsOperator

    emu.fault("/v1/chat/completions", method="POST", status=429, retry_after=0.01, count=6)
    operator = OpenAIDirectCallsOperator(
        task_id="direct",
        prompts=["the only question"],
        model="gpt-4o-mini",
        output_path=str(tmp_path / "answers.jsonl"),
    )
    with pytest.raises(AirflowException, match=r"1 requests were refused 6 times .* nothing was paid"):
        operator.execute({})
    assert _journal_rows(tmp_path / "answers.jsonl.journal") == 0

    assert operator.execute({})["succeeded"] == 1, "the retry sends it"


def test_an_unreadable_answer_stops_the_run_instead_of_hanging(emu, tmp_path):
    from airflow_openai.client.errors import InvalidResponseError
    from airflow_openai.operators.direct import OpenAIDirectCallsOperator

    emu.fault(
        "/v1/chat/completions", method="POST", status=None, truncate_after=10, truncate_framing="length"
    )
    operator = OpenAIDirectCallsOperator(
        task_id="direct",
        prompts=[f"q{n}" for n in range(100)],
        model="gpt-4o-mini",
        concurrency=2,
        output_path=str(tmp_path / "answers.jsonl"),
    )
    started = time.monotonic()
    with pytest.raises(InvalidResponseError):
        operator.execute({})
    assert time.monotonic() - started < 30
    assert emu.requests("/v1/chat/completions", "POST") < 100, "the run stopped at the failure"
