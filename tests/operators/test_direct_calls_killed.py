"""A direct run killed mid-way (the worker dies: SIGKILL) and run again: every answer once, nothing paid twice.

The first attempt runs in a process of its own, killed once part of the answers are written; the
retry runs through `dag.test()`. The emulator counts the calls: the 2,000 answered plus at most the
ones in flight when the kill came (never more than the concurrency).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

from tests.support.dag_runner import run_dag, task_states, xcom_value

PROMPTS = 2000
CONCURRENCY = 16
FIRST_ATTEMPT = textwrap.dedent(
    """
    import sys
    from airflow_openai.operators.direct import OpenAIDirectCallsOperator

    operator = OpenAIDirectCallsOperator(
        task_id="direct",
        prompts=[f"question {n}" for n in range(%d)],
        model="gpt-4o-mini",
        concurrency=%d,
        output_path=sys.argv[1],
    )
    operator.execute({})
    """
)


def _lines(path) -> int:
    try:
        with open(path, "rb") as journal:
            return sum(1 for _ in journal)
    except FileNotFoundError:
        return 0


def test_a_killed_run_resumes_and_every_prompt_has_one_row(airflow_db, emu, new_dag, tmp_path, caplog):
    from airflow_openai.operators.direct import OpenAIDirectCallsOperator

    emu.limit_inference(requests_per_minute=60_000)
    emu.set_latency(20)
    output = tmp_path / "answers.jsonl"
    journal = tmp_path / "answers.jsonl.journal"
    script = FIRST_ATTEMPT % (PROMPTS, CONCURRENCY)
    worker = subprocess.Popen([sys.executable, "-c", script, str(output)], env=dict(os.environ))
    try:
        deadline = time.monotonic() + 120
        while _lines(journal) < PROMPTS // 3 and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker.poll() is None, "the first attempt ended before it could be killed"
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=30)
    written_before = _lines(journal) - 1
    assert 0 < written_before < PROMPTS
    sent_before = emu.requests("/v1/chat/completions", "POST")

    with new_dag() as dag:
        OpenAIDirectCallsOperator(
            task_id="direct",
            prompts=[f"question {n}" for n in range(PROMPTS)],
            model="gpt-4o-mini",
            concurrency=CONCURRENCY,
            output_path=str(output),
        )
    with caplog.at_level("INFO"):
        dag_run = run_dag(dag)

    assert task_states(dag_run) == {"direct": "success"}
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    custom_ids = [row["custom_id"] for row in rows]
    assert len(custom_ids) == PROMPTS and len(set(custom_ids)) == PROMPTS
    assert all(row["status"] == "succeeded" for row in rows)
    assert xcom_value(dag_run, "direct")["succeeded"] == PROMPTS
    calls = emu.requests("/v1/chat/completions", "POST")
    assert PROMPTS <= calls <= PROMPTS + CONCURRENCY, (calls, sent_before, written_before)
    assert sent_before - written_before <= CONCURRENCY
    resumed = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Resuming:")]
    assert resumed and f"sending the {PROMPTS - written_before} missing" in resumed[0]
