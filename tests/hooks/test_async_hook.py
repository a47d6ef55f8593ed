"""The hook's async methods from an event loop: secrets registered the async way, downloads that stop
when their caller is cancelled."""

from __future__ import annotations

import asyncio
import io
import json
import os
import threading

import pytest

from tests.support.keys import ADMIN_KEY, PROJECT_KEY


class SupervisorComms:
    """Stands in for the triggerer's channel to its supervisor, which no test process has.

    In a triggerer a sync `send` from the event loop's thread blocks the loop (or fails
    without a greenback portal): the async path must use `asend` only.
    """

    def __init__(self) -> None:
        self.sent: list[object] = []
        self.asent: list[object] = []

    def send(self, message: object) -> None:
        self.sent.append(message)

    async def asend(self, message: object) -> None:
        self.asent.append(message)


async def test_async_settings_register_the_keys_without_a_blocking_send(monkeypatch):
    from airflow.sdk._shared.secrets_masker import redact
    from airflow.sdk.execution_time import task_runner

    from airflow_openai.hooks.openai import OpenAIHook

    comms = SupervisorComms()
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", comms, raising=False)
    conn = {"conn_type": "openai_platform", "password": PROJECT_KEY, "extra": {"admin_api_key": ADMIN_KEY}}
    monkeypatch.setenv("AIRFLOW_CONN_ASYNC_MASKED", json.dumps(conn))

    settings = await OpenAIHook("async_masked").asettings()

    assert (settings.api_key, settings.admin_api_key) == (PROJECT_KEY, ADMIN_KEY)
    assert comms.sent == []
    told = [getattr(message, "value", None) for message in comms.asent]
    assert PROJECT_KEY in told and ADMIN_KEY in told
    assert redact(f"{PROJECT_KEY} {ADMIN_KEY}") == "*** ***"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
def test_a_cancelled_download_stops_at_the_next_chunk_and_leaves_no_file(emu_hook, tmp_path):
    content = os.urandom(8 * 1024 * 1024)
    file_id = emu_hook.create_file(io.BytesIO(content), "assistants", "big.bin").id
    fifo = tmp_path / "slow-storage"
    os.mkfifo(fifo)
    reading, release = threading.Event(), threading.Event()
    received = bytearray()

    def reader() -> None:  # storage that takes a first block, then stalls until released
        with open(fifo, "rb", buffering=0) as stream:
            received.extend(stream.read(64 * 1024))
            reading.set()
            release.wait(10)
            while block := stream.read(1024 * 1024):
                received.extend(block)

    drain = threading.Thread(target=reader, daemon=True)
    drain.start()

    async def cancel_mid_way() -> None:
        download = asyncio.ensure_future(emu_hook.adownload_file(file_id, fifo))
        assert await asyncio.to_thread(reading.wait, 10)
        download.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await download
        await emu_hook.aclose()

    asyncio.run(cancel_mid_way())
    drain.join(10)

    assert not drain.is_alive()  # the download closed its end: the reader saw the end of the stream
    assert 0 < len(received) < len(content) and content.startswith(received)
    assert not fifo.exists()
