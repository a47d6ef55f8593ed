"""Uploading a large file to the local emulator: this provider, the openai SDK's `upload_file_chunked`,
and a plain copy of the same bytes on the same disk (the physical limit), measured in one run.

Two conditions:

- loopback: the emulator as fast as this machine lets it be. Client and server share the
  same cores, so this mostly measures CPU spent per byte (the md5 included).
- long link: each request body capped at `--link` MB/s, as one connection to a distant API
  is capped by its window and round trip. This is where sending parts side by side pays.

Each variant runs in a fresh process and times its transfer alone, not its start-up;
memory is the process's peak RSS (imports included: Airflow's come to about 120 MB).
The order rotates each
round, and what a variant wrote is deleted before the next one so none of them pays for
memory the kernel has never handed out before. Figures are medians over the rounds.
The SDK lives only in this benchmark's own environment (`.bench-sdk/`), never as a dependency.

    python benchmarks/upload_throughput.py [--megabytes 2048] [--rounds 3] [--link 40]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from emulator_process import start_emulator

ROOT = Path(__file__).resolve().parent.parent
SDK_ENV = ROOT / ".bench-sdk"
KEY = "sk-emulator-project-key-0000000000000000"


def sdk_python() -> Path:
    python = SDK_ENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(SDK_ENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "openai"], check=True)
    return python


# Each variant times its transfer alone (`started` ... `elapsed`): start-up and imports are not
# part of a transfer, and Airflow's take seconds.
OURS = """
import sys, time
from airflow_openai.client.settings import ClientSettings
from airflow_openai.hooks.openai import OpenAIHook
from airflow_openai.transfers.uploader import UploadSettings
hook = OpenAIHook(settings=ClientSettings(api_key=sys.argv[3], base_url=sys.argv[2], timeout=3600))
started = time.perf_counter()
uploaded = hook.upload_file(sys.argv[1], "assistants", settings=UploadSettings(md5={md5}))
elapsed = time.perf_counter() - started
print("FILE " + uploaded.id)
"""

VARIANTS = {
    "copy": (
        "plain file copy",
        "python",
        """
import shutil, sys, time
started = time.perf_counter()
shutil.copyfile(sys.argv[1], sys.argv[2])
elapsed = time.perf_counter() - started
""",
    ),
    "ours": ("this provider (md5, the default)", "python", OURS.format(md5=True)),
    "ours_no_md5": ("this provider, md5 off", "python", OURS.format(md5=False)),
    "sdk": (
        "openai SDK upload_file_chunked (no md5)",
        "sdk",
        """
import sys, time
from pathlib import Path
from openai import OpenAI
client = OpenAI(api_key=sys.argv[3], base_url=sys.argv[2], timeout=3600)
started = time.perf_counter()
upload = client.uploads.upload_file_chunked(
    file=Path(sys.argv[1]), mime_type="application/octet-stream", purpose="assistants"
)
elapsed = time.perf_counter() - started
assert upload.status == "completed"
print("FILE " + upload.file.id)
""",
    ),
}

WRAPPER = """
import resource, sys, json
namespace = {}
exec(compile(open(sys.argv.pop(1)).read(), "variant", "exec"), namespace)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT " + json.dumps({"seconds": namespace["elapsed"], "peak_rss_mb": peak}))
"""


class Bench:
    def __init__(self, workdir: Path, base_url: str, source: Path) -> None:
        self.workdir, self.base_url, self.source = workdir, base_url, source
        self.api = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=600)
        (workdir / "wrapper.py").write_text(WRAPPER)

    def run(self, variant: str) -> dict:
        _, python, code = VARIANTS[variant]
        script = self.workdir / f"variant_{variant}.py"  # not "copy.py": it would shadow the standard library
        script.write_text(code)
        interpreter = sdk_python() if python == "sdk" else Path(sys.executable)
        copy_target = self.workdir / "copy.bin"
        args = (
            [str(self.source), str(copy_target)]
            if variant == "copy"
            else [str(self.source), self.base_url, KEY]
        )
        done = subprocess.run(
            [str(interpreter), str(self.workdir / "wrapper.py"), str(script), *args],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{variant} failed: {done.stderr[-2000:]}")
        lines = done.stdout.splitlines()
        result = json.loads(next(line for line in lines if line.startswith("RESULT "))[7:])
        # Free what this variant wrote, so the next one starts from the same memory and disk state.
        copy_target.unlink(missing_ok=True)
        for line in lines:
            if line.startswith("FILE "):
                self.api.delete(f"/files/{line[5:]}").raise_for_status()
        return result


def measure(workdir: Path, source: Path, variants: list[str], rounds: int, link: float | None) -> dict:
    options = ["--link-mb-per-second", str(link)] if link else []
    process, url = start_emulator(tempfile.mkdtemp(prefix="emulator-", dir=workdir), *options)
    base_url = f"{url}/v1"
    bench = Bench(workdir, base_url, source)
    seen: dict[str, list[dict]] = {variant: [] for variant in variants}
    try:
        for round_number in range(rounds):
            order = variants[round_number % len(variants) :] + variants[: round_number % len(variants)]
            for variant in order:
                seen[variant].append(bench.run(variant))
    finally:
        process.terminate()
        process.wait(30)
    return seen


def report(title: str, size_mb: float, seen: dict[str, list[dict]]) -> dict[str, float]:
    print(title)
    rates = {}
    for variant, results in seen.items():
        per_round = [size_mb / r["seconds"] for r in results]
        rates[variant] = statistics.median(per_round)
        rss = statistics.median(r["peak_rss_mb"] for r in results)
        spread = f"({min(per_round):.0f}-{max(per_round):.0f})" if len(per_round) > 1 else ""
        print(f"  {VARIANTS[variant][0]:40s} {rates[variant]:7.0f} MB/s {spread:12s} peak RSS {rss:5.0f} MB")
    return rates


def md5_rate() -> float:
    block = os.urandom(64 << 20)
    started = time.perf_counter()
    for _ in range(8):
        hashlib.md5(block, usedforsecurity=False)
    return 512 * 1.048576 / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=int, default=2048)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--link", type=float, default=40.0, help="MB/s per connection on the long link; 0 skips it"
    )
    args = parser.parse_args()
    sdk_python()
    workdir = Path(tempfile.mkdtemp(prefix="bench-upload-", dir=os.environ.get("BENCH_DIR")))
    try:
        source = workdir / "big.bin"
        with source.open("wb") as sink:
            block = os.urandom(16 * 1024 * 1024)
            for _ in range(args.megabytes // 16):
                sink.write(block)
        size_mb = source.stat().st_size / 1e6
        print(f"{size_mb:.0f} MB file, {os.cpu_count()} cores; md5 on one core here: {md5_rate():.0f} MB/s")
        print(f"medians of {args.rounds} rounds\n")
        loopback = report(
            "loopback (client and emulator share the machine)",
            size_mb,
            measure(workdir, source, ["copy", "ours", "ours_no_md5", "sdk"], args.rounds, None),
        )
        print(
            f"  ours / SDK: {loopback['ours'] / loopback['sdk']:.2f}x"
            f" (md5 off: {loopback['ours_no_md5'] / loopback['sdk']:.2f}x)"
            f"    ours / copy: {loopback['ours'] / loopback['copy']:.0%}"
            f" (md5 off: {loopback['ours_no_md5'] / loopback['copy']:.0%})\n"
        )
        if args.link:
            linked = report(
                f"long link ({args.link:g} MB/s per connection)",
                size_mb,
                measure(workdir, source, ["ours", "sdk"], 1, args.link),
            )
            print(f"  ours / SDK: {linked['ours'] / linked['sdk']:.2f}x")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
