"""Uploads from an event loop, and uploads stopped half-way: cancelled on OpenAI, never left pending.

The emulator's simulated link (a cap on each request body) keeps an upload running long
enough to stop it; nothing here asserts how long anything takes.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from airflow_openai.transfers.uploader import UploadSettings
from tests.support.task_instance import TaskInstanceStandIn

MB = 1024 * 1024
SMALL_PARTS = UploadSettings(part_size=8 * MB, concurrency=2, threshold=8 * MB)


def _file_of(path, size: int):
    path.write_bytes(bytes(range(256)) * (size // 256))
    return path


def _wait_for_a_part(emu, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not emu.state.store.all("upload_part"):
        assert time.monotonic() < deadline, "no part arrived"
        time.sleep(0.02)


def test_aupload_file_leaves_the_event_loop_free(emu, emu_hook, tmp_path):
    source = _file_of(tmp_path / "data.bin", 24 * MB)
    emu.link(40)
    ticks = 0

    async def main():
        nonlocal ticks
        upload = asyncio.ensure_future(emu_hook.aupload_file(source, "vision", settings=SMALL_PARTS))
        while not upload.done():
            ticks += 1
            await asyncio.sleep(0.01)
        return await upload

    uploaded = asyncio.run(main())

    assert uploaded.bytes == 24 * MB
    assert ticks >= 5, "the event loop was blocked while the file uploaded"


def test_cancelling_aupload_file_cancels_the_upload(emu, emu_hook, tmp_path):
    source = _file_of(tmp_path / "data.bin", 64 * MB)
    emu.link(10)

    async def main():
        upload = asyncio.ensure_future(emu_hook.aupload_file(source, "vision", settings=SMALL_PARTS))
        await asyncio.to_thread(_wait_for_a_part, emu)
        upload.cancel()
        with pytest.raises(asyncio.CancelledError):
            await upload

    asyncio.run(main())

    assert [upload["status"] for upload in emu.state.store.all("upload")] == ["cancelled"]
    assert list(emu_hook.list_files()) == []


def test_on_kill_stops_the_upload_and_cancels_it(emu, tmp_path):
    from airflow.sdk.exceptions import AirflowException

    from airflow_openai.operators.files import OpenAIUploadFileOperator

    source = _file_of(tmp_path / "corpus.bin", 72 * MB)  # over the operator's 64 MB one-request limit
    emu.link(10)
    op = OpenAIUploadFileOperator(
        task_id="upload", source=str(source), purpose="vision", part_size=8 * MB, concurrency=2
    )
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            op.execute({"ti": TaskInstanceStandIn("upload")})
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    _wait_for_a_part(emu)
    op.on_kill()
    worker.join(60)

    assert not worker.is_alive()
    assert isinstance(outcome.get("error"), AirflowException) and "stopped" in str(outcome["error"])
    assert [upload["status"] for upload in emu.state.store.all("upload")] == ["cancelled"]
