"""Uploading a large file to the local emulator: this provider, the openai SDK's `upload_file_chunked`,
and a plain copy of the same bytes on the same disk (the physical limit), measured in one run.

The SDK is installed only into this benchmark's own environment (`.bench-sdk/`), never as a
dependency. Each variant runs in a fresh process; memory is its peak RSS.

    python benchmarks/upload_throughput.py [megabytes]      (default 2048)
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SDK_ENV = ROOT / ".bench-sdk"
KEY = "sk-emulator-project-key-0000000000000000"


def sdk_python() -> Path:
    python = SDK_ENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(SDK_ENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "openai"], check=True)
    return python


VARIANT_CODE = {
    "copy": """
import shutil, sys
shutil.copyfile(sys.argv[1], sys.argv[2])
""",
    "ours": """
import sys
from airflow_openai.client.settings import ClientSettings
from airflow_openai.hooks.openai import OpenAIHook
hook = OpenAIHook(settings=ClientSettings(api_key=sys.argv[3], base_url=sys.argv[2], timeout=3600))
uploaded = hook.upload_file(sys.argv[1], "assistants")
assert uploaded.bytes > 0
""",
    "sdk": """
import sys
from pathlib import Path
from openai import OpenAI
client = OpenAI(api_key=sys.argv[3], base_url=sys.argv[2], timeout=3600)
upload = client.uploads.upload_file_chunked(file=Path(sys.argv[1]), mime_type="application/octet-stream", purpose="assistants")
assert upload.status == "completed"
""",
}

WRAPPER = """
import resource, sys, time, json
started = time.perf_counter()
exec(compile(open(sys.argv.pop(1)).read(), "variant", "exec"))
elapsed = time.perf_counter() - started
print("RESULT " + json.dumps({"seconds": elapsed, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(python: Path, variant: str, args: list[str], workdir: Path) -> dict:
    code = workdir / f"variant_{variant}.py"  # not "copy.py": it would shadow the standard library
    code.write_text(VARIANT_CODE[variant])
    wrapper = workdir / "wrapper.py"
    wrapper.write_text(WRAPPER)
    done = subprocess.run([str(python), str(wrapper), str(code), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{variant} failed: {done.stderr[-2000:]}")
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[7:])


def main(megabytes: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-upload-", dir=os.environ.get("BENCH_DIR")))
    source = workdir / "big.bin"
    with source.open("wb") as sink:
        block = os.urandom(16 * 1024 * 1024)
        for _ in range(megabytes // 16):
            sink.write(block)
    size_mb = source.stat().st_size / 1e6
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    emulator = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("airflow-openai-emulator")),
            "--port",
            str(port),
            "--data-dir",
            str(workdir / "emulator"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        import httpx

        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/_emulator/clock", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        results = {
            "copy": run(Path(sys.executable), "copy", [str(source), str(workdir / "copy.bin")], workdir),
            "ours": run(Path(sys.executable), "ours", [str(source), base_url, KEY], workdir),
            "sdk": run(sdk_python(), "sdk", [str(source), base_url, KEY], workdir),
        }
    finally:
        emulator.terminate()
        emulator.wait(30)
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"uploading {size_mb:.0f} MB to the emulator on loopback (its data on the same disk)")
    for name, label in (
        ("ours", "airflow-provider-openai upload_file"),
        ("sdk", "openai SDK upload_file_chunked"),
        ("copy", "plain file copy"),
    ):
        r = results[name]
        print(f"  {label:38s} {size_mb / r['seconds']:8.1f} MB/s   peak RSS {r['peak_rss_mb']:6.0f} MB")
    ours, sdk, copy = (size_mb / results[n]["seconds"] for n in ("ours", "sdk", "copy"))
    print(f"  ours / SDK: {ours / sdk:.2f}x    ours / copy: {ours / copy:.0%}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2048)
