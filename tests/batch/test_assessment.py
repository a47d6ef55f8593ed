"""Batches: every status has one meaning, and a failed batch says which lines and why."""

from __future__ import annotations

import pytest

from airflow_openai.batch.assessment import assess
from airflow_openai.models import Batch

BASE = {
    "id": "batch_1",
    "object": "batch",
    "endpoint": "/v1/chat/completions",
    "input_file_id": "f",
    "completion_window": "24h",
    "created_at": 1,
}


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("validating", "running"),
        ("in_progress", "running"),
        ("finalizing", "running"),
        ("cancelling", "running"),
        ("completed", "succeeded"),
        ("expired", "succeeded"),
        ("failed", "failed"),
        ("cancelled", "failed"),
    ],
)
def test_every_status_has_one_meaning(status, outcome):
    assert assess(Batch.model_validate({**BASE, "status": status})).outcome == outcome


def test_a_failed_batch_says_which_lines_and_why():
    batch = Batch.model_validate(
        {
            **BASE,
            "status": "failed",
            "errors": {"data": [{"code": "invalid_json_line", "message": "bad", "line": 3}]},
        }
    )
    assert "line 3: invalid_json_line: bad" in assess(batch).message


def test_progress_is_reported_with_percent():
    batch = Batch.model_validate(
        {**BASE, "status": "in_progress", "request_counts": {"total": 200, "completed": 50, "failed": 2}}
    )
    assert assess(batch).message == "Batch batch_1 is in_progress: 52/200 requests (26.0%), 2 failed"
