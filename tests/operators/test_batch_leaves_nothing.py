"""The batch operator leaves no work directory behind, however a run ends, and downloads each
result file once per attempt.

`execute` is called directly with a stand-in task instance (no metadata DB needed); the
work directories go to a private temp dir so they can be counted.
"""

from __future__ import annotations

import tempfile

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowFailException, TaskDeferred

from airflow_openai.client import OpenAIError
from airflow_openai.operators.batch import OpenAIBatchOperator
from tests.support.batches import mixed_embeddings, wait_for
from tests.support.task_instance import TaskInstanceStandIn
from tests.support.worker import waiting_in_a_worker

EMBEDDINGS = {"endpoint": "/v1/embeddings", "model": "text-embedding-3-small"}


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """The temp dir the operator makes its work directory in."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def _workdirs(root) -> list[str]:
    return sorted(path.name for path in root.glob("openai-batch-*"))


def _operator(tmp_path, **kwargs):
    kwargs.setdefault("prompts", ["a", "b", "c"])
    kwargs.setdefault("model", "gpt-4o-mini")
    kwargs.setdefault("poll_interval", 0.2)
    return OpenAIBatchOperator(task_id="batch", output_path=str(tmp_path / "out.jsonl"), **kwargs)


def test_success(emu, scratch, tmp_path):
    manifest = _operator(tmp_path).execute({"ti": TaskInstanceStandIn("batch")})
    assert manifest["total"] == 3 and _workdirs(scratch) == []


def test_without_waiting(emu, scratch, tmp_path):
    result = _operator(tmp_path, wait_for_completion=False).execute({"ti": TaskInstanceStandIn("batch")})
    assert result["requests"] == 3 and _workdirs(scratch) == []


def test_invalid_input(emu, scratch, tmp_path):
    same = [{"custom_id": "same", "body": {"messages": [{"role": "user", "content": "a"}]}}] * 2
    with pytest.raises(AirflowFailException, match="Invalid batch input"):
        _operator(tmp_path, prompts=None, requests=same).execute({"ti": TaskInstanceStandIn("batch")})
    assert _workdirs(scratch) == []


def test_a_failed_batch(emu, emu_hook, scratch, tmp_path):
    emu.set_speed(1)  # the batch validates for 5 s: time to fail it
    worker, outcome, batch_id = waiting_in_a_worker(_operator(tmp_path))
    assert len(_workdirs(scratch)) == 1, "the run keeps its work directory while it waits"
    emu.force_batch(batch_id, "failed")
    worker.join(30)

    assert not worker.is_alive() and isinstance(outcome.get("error"), AirflowException)
    assert _workdirs(scratch) == []


def test_a_timeout(emu, scratch, tmp_path):
    emu.set_speed(1)
    with pytest.raises(AirflowException, match="did not finish"):
        _operator(tmp_path, timeout=1.0).execute({"ti": TaskInstanceStandIn("batch")})
    assert _workdirs(scratch) == []


def test_too_many_failed_rows(emu, scratch, tmp_path):
    op = _operator(tmp_path, prompts=None, requests=mixed_embeddings(6), **EMBEDDINGS)
    with pytest.raises(AirflowFailException, match="2 of 6 requests failed"):
        op.execute({"ti": TaskInstanceStandIn("batch")})
    assert (tmp_path / "out.jsonl").exists(), "the results are saved before the task fails"
    assert _workdirs(scratch) == []


def test_results_that_cannot_be_fetched(emu, scratch, tmp_path):
    emu.fault("/v1/files/*/content", method="GET", status=403, count=10)
    with pytest.raises(OpenAIError):
        _operator(tmp_path).execute({"ti": TaskInstanceStandIn("batch")})
    assert _workdirs(scratch) == []
    assert not (tmp_path / "out.jsonl").exists(), "no partial results file stands in for the whole"


def test_deferring_and_resuming(emu, emu_hook, scratch, tmp_path):
    ti = TaskInstanceStandIn("batch")
    with pytest.raises(TaskDeferred) as deferred:
        _operator(tmp_path, deferrable=True).execute({"ti": ti})
    assert _workdirs(scratch) == [], "deferring ends the process: nothing may stay behind"

    (batch_id,) = deferred.value.trigger.ref["ids"]
    wait_for(emu_hook, batch_id)
    event = {
        "status": "success",
        "kind": "batch",
        "ref": {"ids": [batch_id]},
        "batch_ids": [batch_id],
        "statuses": {},
        "message": "done",
    }
    resumed = _operator(tmp_path, deferrable=True)  # a new process builds a new operator
    manifest = resumed.execute_complete({"ti": ti}, event, **deferred.value.kwargs)

    assert manifest["total"] == 3 and manifest["succeeded"] == 3
    assert _workdirs(scratch) == []


def test_each_result_file_is_downloaded_once_across_a_resubmission(emu, emu_hook, scratch, tmp_path):
    emu.set_speed(40_000)
    emu.set_line_time(1000)  # 100 lines need 100,000 s: about 86 finish inside the 24 h window
    op = _operator(tmp_path, prompts=[f"q{n}" for n in range(100)], poll_interval=0.3)

    manifest = op.execute({"ti": TaskInstanceStandIn("batch")})

    first, retry = sorted(emu_hook.list_batches(), key=lambda b: b.created_at)
    result_files = [first.output_file_id, first.error_file_id, retry.output_file_id, retry.error_file_id]
    assert first.status == "expired" and manifest["total"] == 100 and manifest["succeeded"] == 100
    assert emu.requests("/v1/files/*/content", method="GET") == len([f for f in result_files if f])
    assert _workdirs(scratch) == []
