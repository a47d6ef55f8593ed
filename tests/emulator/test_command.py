"""`airflow-openai-emulator` as a separate process: it serves, and a kill and restart keep files and batches."""

from __future__ import annotations

import io
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from airflow_openai.client.settings import ClientSettings
from airflow_openai.emulator.server import PROJECT_KEY
from airflow_openai.hooks.openai import OpenAIHook
from tests.support.batches import chat_line, jsonl, read_jsonl, wait_for


def _start(data_dir: Path, port: int) -> subprocess.Popen:
    command = Path(sys.executable).with_name("airflow-openai-emulator")
    process = subprocess.Popen(
        [str(command), "--port", str(port), "--data-dir", str(data_dir), "--speed", "600"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_emulator/clock", timeout=1)
            return process
        except httpx.TransportError:
            assert process.poll() is None, process.stdout.read().decode()
            time.sleep(0.05)
    process.kill()
    raise AssertionError("the emulator command did not start")


def test_the_command_serves_and_survives_a_kill(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    hook = OpenAIHook(settings=ClientSettings(api_key=PROJECT_KEY, base_url=f"http://127.0.0.1:{port}/v1"))
    process = _start(tmp_path, port)
    try:
        source = hook.create_file(jsonl([chat_line(n) for n in range(20)]), "batch", "kept.jsonl")
        batch = hook.create_batch(source.id, "/v1/chat/completions")
        created_at = hook.get_batch(batch.id).created_at
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    hook.close()

    process = _start(tmp_path, port)
    try:
        assert hook.get_file(source.id).filename == "kept.jsonl"
        finished = wait_for(hook, batch.id)
        assert finished.status == "completed" and finished.created_at == created_at
        sink = io.BytesIO()
        hook.download_file(finished.output_file_id, sink)
        assert len(read_jsonl(sink.getvalue())) == 20
    finally:
        process.terminate()
        process.wait(10)
        hook.close()
