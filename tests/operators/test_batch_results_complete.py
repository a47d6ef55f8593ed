"""One row per request submitted, and a manifest whose total is what was submitted, whatever
arrives: a whole run through `dag.test()`, and downloads the emulator cuts short."""

from __future__ import annotations

import json

import pytest

from airflow_openai.client import OpenAIError
from airflow_openai.outage import OutageExceeded
from tests.support.batches import mixed_embeddings
from tests.support.dag_runner import run_dag, task_states, xcom_value
from tests.support.task_instance import TaskInstanceStandIn

EMBEDDINGS = {"endpoint": "/v1/embeddings", "model": "text-embedding-3-small"}


def _rows(path):
    with open(path) as results:
        return [json.loads(line) for line in results]


def test_every_request_submitted_gets_one_row_and_the_manifest_counts_them(
    airflow_db, emu, emu_hook, new_dag, tmp_path
):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    with new_dag() as dag:
        OpenAIBatchOperator(
            task_id="batch",
            requests=mixed_embeddings(30),
            poll_interval=0.2,
            max_failed_fraction=0.5,
            output_path=str(tmp_path / "o.jsonl"),
            **EMBEDDINGS,
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"batch": "success"}
    rows = _rows(tmp_path / "o.jsonl")
    assert sorted(row["custom_id"] for row in rows) == sorted(f"request-{n}" for n in range(30))
    manifest = xcom_value(dag_run, "batch")
    assert (manifest["total"], manifest["succeeded"], manifest["failed"]) == (30, 20, 10)
    assert "missing_result" not in manifest["failures_by_reason"]
    (batch,) = emu_hook.list_batches()
    assert batch.request_counts.completed == 20 and batch.request_counts.failed == 10
    assert emu.requests("/v1/files/*/content", method="GET") == 2, "output and error file, once each"


def _run(tmp_path, **kwargs):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    op = OpenAIBatchOperator(
        task_id="batch",
        prompts=[f"question {n}" for n in range(40)],
        model="gpt-4o-mini",
        poll_interval=0.2,
        output_path=str(tmp_path / "o.jsonl"),
        **kwargs,
    )
    return op.execute({"ti": TaskInstanceStandIn("batch")})


@pytest.mark.parametrize("framing", ["chunked", "length"])
def test_a_results_download_cut_short_once_still_gives_every_row(emu, tmp_path, framing):
    emu.fault("/v1/files/*/content", method="GET", status=None, truncate_after=500, truncate_framing=framing)

    manifest = _run(tmp_path)

    assert manifest["total"] == 40 and manifest["succeeded"] == 40
    assert sorted(row["custom_id"] for row in _rows(tmp_path / "o.jsonl")) == sorted(
        f"prompt-{n}" for n in range(40)
    )


@pytest.mark.parametrize("framing", ["chunked", "length"])
def test_a_results_download_always_cut_short_fails_and_leaves_no_short_file(emu, tmp_path, framing):
    emu.fault(
        "/v1/files/*/content",
        method="GET",
        status=None,
        truncate_after=500,
        truncate_framing=framing,
        count=50,
    )

    with pytest.raises((OpenAIError, OutageExceeded)):  # a body cut mid-way looks like an outage: waited out
        _run(tmp_path, resubmit_failed=False, outage_budget=1)  # fails while the results file is written

    assert not (tmp_path / "o.jsonl").exists()
