"""An output path the results could not be written to is refused by every operator that writes,
before any request: nothing is uploaded, created or paid for, only for the write to fail at the end.

Each operator meets each kind of bad path: for a file output, an existing folder; for a folder
output, a regular file; for both, a path under a regular file, a read-only folder and a bucket
whose credentials may only read. What reached the emulator is counted: not one request.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from tests.support.fine_tuning import records
from tests.support.object_storage import attach_buckets
from tests.support.read_only import read_only
from tests.support.task_instance import TaskInstanceStandIn

REASONS = {
    "an existing folder": r"out is a folder, not a file",
    "a regular file": r"out is a file, not a folder",
    "a path under a regular file": r"a_file is a file, so nothing can be written under it",
    "a read-only folder": (
        r"(nothing can be written in \S*/locked|the folder \S*/locked/out cannot be made) "
        r"\((Permission denied|Operation not permitted)\)"
    ),
    "a read-only bucket": r"nothing can be written in romem:///bucket\S* \(PermissionError: AccessDenied",
}
FILE_CASES = ["an existing folder", "a path under a regular file", "a read-only folder", "a read-only bucket"]
FOLDER_CASES = ["a regular file", "a path under a regular file", "a read-only folder", "a read-only bucket"]


@contextlib.contextmanager
def bad_output(tmp_path: Path, case: str) -> Iterator[str]:
    """The output path of `case`, as it stands while the operator runs."""
    if case == "an existing folder":
        (tmp_path / "out").mkdir()
        yield str(tmp_path / "out")
    elif case == "a regular file":
        (tmp_path / "out").write_text("")
        yield str(tmp_path / "out")
    elif case == "a path under a regular file":
        (tmp_path / "a_file").write_text("")
        yield str(tmp_path / "a_file" / "out")
    elif case == "a read-only folder":
        (tmp_path / "locked").mkdir()
        with read_only(tmp_path / "locked"):
            yield str(tmp_path / "locked" / "out")
    else:
        attach_buckets()
        yield "romem://bucket/out"


def _context(task_id: str) -> dict[str, Any]:
    return {"ti": TaskInstanceStandIn(task_id)}


def _batch(output: str) -> Any:
    from airflow_openai.operators.batch import OpenAIBatchOperator

    op = OpenAIBatchOperator(task_id="batch", prompts=["a", "b"], model="gpt-4o-mini", output_path=output)
    return op.execute(_context("batch"))


def _fine_tuning(output: str) -> Any:
    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator

    op = OpenAIFineTuningJobOperator(
        task_id="fine_tune", model="gpt-4o-mini-2024-07-18", training_file=records(12), output_path=output
    )
    return op.execute(_context("fine_tune"))


def _audit_log(output: str) -> Any:
    from airflow_openai.operators.admin import OpenAIAuditLogsToStorageOperator

    op = OpenAIAuditLogsToStorageOperator(
        task_id="export", output_path=output, start="2026-01-01T00:00:00", end="2026-01-01T01:00:00"
    )
    return op.execute(_context("export"))


def _snapshot(output: str) -> Any:
    from airflow_openai.operators.admin import OpenAIOrganizationSnapshotOperator

    return OpenAIOrganizationSnapshotOperator(task_id="snapshot", output_path=output).execute(
        _context("snapshot")
    )


def _download_one(output: str) -> Any:
    from airflow_openai.operators.files import OpenAIDownloadFileOperator

    op = OpenAIDownloadFileOperator(task_id="download", file_ids="file-abc", destination=output)
    return op.execute(_context("download"))


def _download_many(output: str) -> Any:
    from airflow_openai.operators.files import OpenAIDownloadFileOperator

    op = OpenAIDownloadFileOperator(
        task_id="download", file_ids=["file-a", "file-b"], destination=output + "/"
    )
    return op.execute(_context("download"))


OPERATORS: dict[str, tuple[Callable[[str], Any], list[str], str]] = {
    "batch results": (
        _batch,
        FILE_CASES,
        r"output_path {} cannot be written: .*{}.*; nothing was submitted$",
    ),
    "fine-tuning metrics": (
        _fine_tuning,
        FOLDER_CASES,
        r"output_path {} cannot be written: .*{}.*; nothing was uploaded or created$",
    ),
    "audit log export": (
        _audit_log,
        FILE_CASES,
        r"output_path {} cannot be written: .*{}.*; nothing was requested$",
    ),
    "organization snapshot": (
        _snapshot,
        FILE_CASES,
        r"output_path {} cannot be written: .*{}.*; nothing was requested$",
    ),
    "one file downloaded": (
        _download_one,
        FILE_CASES,
        r"destination {} cannot be written: .*{}.*; nothing was downloaded$",
    ),
    "files downloaded into a folder": (
        _download_many,
        FOLDER_CASES,
        r"destination {}/ cannot be written: .*{}.*; nothing was downloaded$",
    ),
}
CASES = [
    pytest.param(run, case, message, id=f"{name}: {case}")
    for name, (run, cases, message) in OPERATORS.items()
    for case in cases
]


@pytest.mark.parametrize("run, case, message", CASES)
def test_a_bad_output_path_fails_before_any_request(emu, emu_hook, tmp_path, run, case, message):
    sent = emu.requests("*", method="*")

    with bad_output(tmp_path, case) as output, pytest.raises(AirflowFailException) as refused:
        run(output)

    assert re.search(message.format(re.escape(output), REASONS[case]), str(refused.value)), str(refused.value)
    assert emu.requests("*", method="*") == sent, "not one request reached the API"
    assert list(emu_hook.list_files()) == [] and list(emu_hook.list_batches()) == []
    assert list(emu_hook.list_fine_tuning_jobs()) == []


def test_a_good_folder_passes_the_probe_and_the_batch_writes_its_results_there(emu, tmp_path):
    """The probe refuses only what could not be written: the results of a good path arrive."""
    result = _batch(str(tmp_path / "new" / "results.jsonl"))

    assert result["succeeded"] == 2 and (tmp_path / "new" / "results.jsonl").exists()
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["results.jsonl"], "no probe left"
