"""Upload, download and clean-up operators through `dag.test()` against the emulator."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.support.dag_runner import run_dag, task_states, xcom_value


def _training_files(folder, count=3):
    folder.mkdir()
    for n in range(count):
        (folder / f"part-{n}.jsonl").write_text(
            json.dumps({"messages": [{"role": "user", "content": str(n)}]}) + "\n"
        )
    return folder


def test_a_glob_uploads_concurrently_and_a_retry_uploads_only_what_is_missing(
    airflow_db, emu, emu_hook, new_dag, tmp_path
):
    from airflow_openai.operators.files import OpenAIUploadFileOperator

    folder = _training_files(tmp_path / "train")
    emu.fault("/v1/files", method="POST", status=400, count=1)  # one of the three fails on the first attempt
    with new_dag() as dag:
        OpenAIUploadFileOperator(
            task_id="upload",
            source=f"file://{folder}/*.jsonl",
            purpose="fine-tune",
            retries=1,
            retry_delay=timedelta(0),
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"upload": "success"}
    result = xcom_value(dag_run, "upload")
    assert len(result["file_ids"]) == 3 and sorted(result["files"]) == sorted(
        f"file://{folder}/part-{n}.jsonl" for n in range(3)
    )
    stored = list(emu_hook.list_files(purpose="fine-tune"))
    assert len(stored) == 3, "the retry must not upload the two files again"
    assert {f.filename for f in stored} == {"part-0.jsonl", "part-1.jsonl", "part-2.jsonl"}


def test_download_and_delete(airflow_db, emu, emu_hook, new_dag, tmp_path):
    from airflow_openai.operators.files import OpenAIDeleteFilesOperator, OpenAIDownloadFileOperator

    folder = _training_files(tmp_path / "in", count=2)
    ids = [emu_hook.upload_file(folder / f"part-{n}.jsonl", "batch").id for n in range(2)]
    newest = emu_hook.upload_file(folder / "part-0.jsonl", "batch", filename="new.jsonl")
    with new_dag() as dag:
        download = OpenAIDownloadFileOperator(  # a template renders a list (as from xcom_pull) to text
            task_id="download", file_ids="{{ " + repr(ids) + " }}", destination=f"file://{tmp_path}/out/"
        )
        clean = OpenAIDeleteFilesOperator(task_id="clean", purpose="batch", created_before=newest.created_at)
        download >> clean
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"download": "success", "clean": "success"}
    paths = xcom_value(dag_run, "download")
    assert (tmp_path / "out" / f"{ids[0]}-part-0.jsonl").read_text() == (folder / "part-0.jsonl").read_text()
    assert sorted(paths) == sorted(ids)
    remaining = {f.id for f in emu_hook.list_files(purpose="batch")}
    assert newest.id in remaining and not set(xcom_value(dag_run, "clean")) & remaining


def test_upload_refuses_bad_jsonl_before_sending(airflow_db, emu, emu_hook, new_dag, tmp_path):
    from airflow_openai.operators.files import OpenAIUploadFileOperator

    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    with new_dag() as dag:
        OpenAIUploadFileOperator(task_id="upload", source=str(bad), purpose="batch")
    dag_run = run_dag(dag)
    assert task_states(dag_run) == {"upload": "failed"}
    assert list(emu_hook.list_files()) == []


def test_one_bad_file_among_good_ones_uploads_none(emu, emu_hook, tmp_path):
    """Every file is checked before the first is sent: no half-done upload to clean up."""
    import pytest
    from airflow.sdk.exceptions import AirflowFailException

    from airflow_openai.operators.files import OpenAIUploadFileOperator
    from tests.support.task_instance import TaskInstanceStandIn

    folder = _training_files(tmp_path / "in", count=3)
    (folder / "part-9.jsonl").write_bytes(b'{"messages": []}\n{"oops": caf\xe9}\n')
    op = OpenAIUploadFileOperator(task_id="upload", source=f"{folder}/*.jsonl", purpose="fine-tune")

    with pytest.raises(AirflowFailException, match=r"1 of 4 files would be refused.*part-9.jsonl line 2"):
        op.execute({"ti": TaskInstanceStandIn("upload")})

    assert list(emu_hook.list_files()) == [], "nothing was uploaded"


def test_large_files_uploading_side_by_side_share_one_memory_budget(emu, emu_hook, tmp_path):
    """Three large files at once hold `concurrency × part_size` between them, not three times that."""
    import tracemalloc

    from airflow_openai.operators.files import OpenAIUploadFileOperator
    from tests.support.task_instance import TaskInstanceStandIn

    mb = 1024 * 1024
    for n in range(3):  # just over the 64 MB that goes in one request
        (tmp_path / f"shard-{n}.bin").write_bytes(bytes([n]) * (66 * mb))
    op = OpenAIUploadFileOperator(
        task_id="upload",
        source=f"{tmp_path}/shard-*.bin",
        purpose="vision",
        file_concurrency=3,
        part_size=16 * mb,
        concurrency=2,
    )

    tracemalloc.start()
    try:
        result = op.execute({"ti": TaskInstanceStandIn("upload")})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(result["file_ids"]) == 3
    assert all(f.bytes == 66 * mb for f in emu_hook.list_files(purpose="vision"))
    # Each file with buffers of its own would hold 3 x 2 x 16 = 96 MB; shared, they hold 32 MB
    # (the in-process emulator's own buffers come on top).
    assert peak < 64 * mb, f"peak {peak / mb:.0f} MB"
