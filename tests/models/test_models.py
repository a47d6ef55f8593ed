"""Behaviour of the models beyond parsing: kept extras, terminal states, plain dumps."""

from __future__ import annotations

import typing

import pytest

from airflow_openai.models import (
    BATCH_STATUSES,
    BATCH_TERMINAL_STATUSES,
    AuditLog,
    Batch,
    BatchStatus,
    FineTuningJob,
    FineTuningJobEvent,
    OpenAIFile,
    Project,
    RunObject,
    Upload,
    User,
    VectorStoreFileBatchObject,
)

BATCH = {
    "id": "batch_1",
    "object": "batch",
    "endpoint": "/v1/chat/completions",
    "input_file_id": "file-1",
    "completion_window": "24h",
    "status": "completed",
    "created_at": 1,
    "request_counts": {"total": 3, "completed": 2, "failed": 1},
}


def test_unknown_fields_are_kept_and_dumped_again():
    batch = Batch.model_validate({**BATCH, "usage": {"total_tokens": 12}, "model": "gpt-4o-mini"})
    assert batch.model_extra == {"usage": {"total_tokens": 12}, "model": "gpt-4o-mini"}
    assert batch.to_dict()["usage"] == {"total_tokens": 12}


@pytest.mark.parametrize("status", typing.get_args(BatchStatus))
def test_batch_terminal_states(status):
    batch = Batch.model_validate({**BATCH, "status": status})
    assert batch.is_terminal == (status in {"completed", "failed", "expired", "cancelled"})
    assert set(typing.get_args(BatchStatus)) >= BATCH_TERMINAL_STATUSES


def test_a_status_the_spec_does_not_list_parses_as_a_plain_string():
    batch = Batch.model_validate({**BATCH, "status": "paused"})
    assert batch.status == "paused" and type(batch.status) is str
    assert not batch.is_terminal  # it may still change: waits keep polling it
    assert batch.to_dict()["status"] == "paused"
    assert "paused" not in BATCH_STATUSES


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (RunObject, {"id": "r", "created_at": 1, "thread_id": "t", "assistant_id": "a", "status": "paused"}),
        (
            FineTuningJob,
            {"id": "f", "created_at": 1, "model": "m", "training_file": "file-1", "status": "paused"},
        ),
        (FineTuningJobEvent, {"id": "e", "created_at": 1, "level": "debug", "message": "m"}),
        (
            OpenAIFile,
            {"id": "file-1", "bytes": 1, "created_at": 1, "filename": "a", "purpose": "p", "status": "x"},
        ),
        (
            Upload,
            {
                "id": "u",
                "bytes": 1,
                "created_at": 1,
                "filename": "a",
                "purpose": "batch",
                "status": "paused",
                "expires_at": 2,
            },
        ),
        (
            VectorStoreFileBatchObject,
            {"id": "v", "created_at": 1, "vector_store_id": "vs", "status": "paused"},
        ),
        (Project, {"id": "p", "name": "n", "created_at": 1, "status": "paused"}),
        (User, {"id": "u", "name": "n", "email": "e", "role": "auditor", "added_at": 1}),
    ],
)
def test_every_enum_like_field_keeps_a_value_added_later(model, data):
    parsed = model.model_validate(data)
    field = "level" if "level" in data else "role" if "role" in data else "status"
    assert getattr(parsed, field) == data[field]
    assert not getattr(parsed, "is_terminal", False)  # an unknown status is never taken for an ending


def test_requires_action_is_not_terminal_for_runs():
    run = {"id": "run_1", "object": "thread.run", "created_at": 1, "thread_id": "t", "assistant_id": "a"}
    assert not RunObject.model_validate({**run, "status": "requires_action"}).is_terminal
    assert RunObject.model_validate({**run, "status": "incomplete"}).is_terminal


def test_fine_tuning_job_terminal_states():
    job = {"id": "ftjob-1", "created_at": 1, "model": "gpt-4o-mini", "training_file": "file-1"}
    assert FineTuningJob.model_validate({**job, "status": "succeeded"}).is_terminal
    assert not FineTuningJob.model_validate({**job, "status": "validating_files"}).is_terminal


def test_audit_log_details_come_from_the_key_named_by_its_type():
    log = AuditLog.model_validate(
        {
            "id": "audit_1",
            "type": "project.created",
            "effective_at": 1,
            "actor": {"type": "api_key"},
            "project.created": {"id": "proj_1", "data": {"name": "P"}},
        }
    )
    assert log.details == {"id": "proj_1", "data": {"name": "P"}}
