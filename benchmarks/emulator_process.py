"""The emulator in its own process, as the API is to a real worker or triggerer: benchmarks that
measure a client must not share its interpreter with the server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def start_emulator(data_dir: str | Path, *options: str) -> tuple[subprocess.Popen, str]:
    """Start `airflow-openai-emulator` on a free port with `options`; returns the process and its root URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        str(Path(sys.executable).with_name("airflow-openai-emulator")),
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        *options,
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{url}/_emulator/clock", timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the emulator did not start")
