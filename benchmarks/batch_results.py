"""Download + join + write of batch results: lines per second and peak memory, ours against a naive baseline.

The baseline does what hand-written DAG code usually does: read the output file into
memory, parse every line, hold the inputs in a dict and write the joined rows. Both run
in fresh processes against the same completed batches on the local emulator; memory is
the peak RSS growth over the process's own starting point. Two sizes show whether
memory grows with the file.

    python benchmarks/batch_results.py [lines ...]     (default: 50000 200000)
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENDPOINT = "/v1/embeddings"
DIMENSIONS = 96  # about 2 KB per output line: 50,000 lines make a file of about 100 MB


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(
    variant: str, base_url: str, api_key: str, batch_ids: list[str], input_path: str, output_path: str
) -> None:
    from airflow_openai.batch.chunks import prepare
    from airflow_openai.batch.identity import TaskIdentity
    from airflow_openai.batch.pipeline import BatchJob
    from airflow_openai.batch.requests import checked, from_jsonl, from_requests
    from airflow_openai.client.settings import ClientSettings
    from airflow_openai.hooks.openai import OpenAIHook

    hook = OpenAIHook(settings=ClientSettings(api_key=api_key, base_url=base_url))
    hook.get_batch(batch_ids[0])  # connection set up outside the measurement
    workdir = Path(tempfile.mkdtemp(prefix="bench-results-"))
    start_rss = rss_mb()
    started = time.perf_counter()
    if variant == "ours":
        with open(input_path, "rb") as source:
            prepared = prepare(
                checked(from_requests(from_jsonl(source), ENDPOINT), ENDPOINT), workdir, ENDPOINT
            )
        job = BatchJob(hook, ENDPOINT, "24h", TaskIdentity("bench", "bench", "bench"))
        with open(output_path, "wb") as sink:
            tally = job.write([batch_ids], prepared, workdir, sink)
        lines = tally.total
    else:
        import httpx

        inputs = {}
        with open(input_path) as source:
            for line in source:
                request = json.loads(line)
                inputs[request["custom_id"]] = request["body"]
        rows = []
        for batch_id in batch_ids:
            batch = hook.get_batch(batch_id)
            url = f"{base_url}/files/{batch.output_file_id}/content"
            content = httpx.get(url, headers={"Authorization": f"Bearer {api_key}"}, timeout=600).content
            rows += [json.loads(line) for line in content.splitlines() if line.strip()]
        with open(output_path, "w") as sink:
            for row in rows:
                sink.write(
                    json.dumps(
                        {
                            "custom_id": row["custom_id"],
                            "input": inputs.get(row["custom_id"]),
                            "response": row["response"]["body"],
                        }
                    )
                    + "\n"
                )
        lines = len(rows)
    elapsed = time.perf_counter() - started
    print(json.dumps({"lines": lines, "seconds": elapsed, "peak_growth_mb": peak_mb() - start_rss}))


def run_worker(variant: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", variant, *args], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(sizes: list[int]) -> None:
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    from airflow_openai.client.settings import ClientSettings
    from airflow_openai.emulator import Emulator
    from airflow_openai.hooks.openai import OpenAIHook

    results = []
    with Emulator(speed=1_000_000) as emulator:
        hook = OpenAIHook(
            settings=ClientSettings(api_key=emulator.api_key, base_url=emulator.base_url, timeout=1800)
        )
        for size in sizes:
            workdir = Path(tempfile.mkdtemp(prefix="bench-input-"))
            input_path = workdir / "requests.jsonl"
            with input_path.open("w") as sink:
                for n in range(size):
                    body = {
                        "model": "text-embedding-3-small",
                        "input": f"document {n}",
                        "dimensions": DIMENSIONS,
                    }
                    sink.write(
                        json.dumps({"custom_id": f"doc-{n}", "method": "POST", "url": ENDPOINT, "body": body})
                        + "\n"
                    )
            batch_ids = []
            with input_path.open("rb") as source:
                for start in range(0, size, 50_000):  # the API's per-batch limit
                    part = workdir / f"part-{start}.jsonl"
                    with part.open("wb") as sink:
                        for _ in range(min(50_000, size - start)):
                            sink.write(source.readline())
                    uploaded = hook.create_file(part, "batch")
                    batch_ids.append(hook.create_batch(uploaded.id, ENDPOINT).id)
            for batch_id in batch_ids:
                emulator.force_batch(batch_id, "completed")
            output_bytes = sum(hook.get_file(hook.get_batch(b).output_file_id).bytes for b in batch_ids)
            args = (emulator.base_url, emulator.api_key, ",".join(batch_ids), str(input_path))
            ours = run_worker("ours", *args, str(workdir / "ours.jsonl"))
            naive = run_worker("naive", *args, str(workdir / "naive.jsonl"))
            results.append((size, output_bytes, ours, naive))
    print(
        f"{'lines':>8} {'output MB':>9} | {'ours lines/s':>12} {'peak +MB':>8} | {'naive lines/s':>13} {'peak +MB':>8} | speed ratio  memory ratio"
    )
    for size, output_bytes, ours, naive in results:
        ours_rate, naive_rate = ours["lines"] / ours["seconds"], naive["lines"] / naive["seconds"]
        print(
            f"{size:>8} {output_bytes / 1e6:>9.0f} | {ours_rate:>12.0f} {ours['peak_growth_mb']:>8.0f} | {naive_rate:>13.0f} {naive['peak_growth_mb']:>8.0f} |"
            f" {ours_rate / naive_rate:>10.2f}x {naive['peak_growth_mb'] / max(ours['peak_growth_mb'], 1):>12.1f}x less"
        )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        variant, base_url, api_key, batch_ids, input_path, output_path = sys.argv[2:8]
        worker(variant, base_url, api_key, batch_ids.split(","), input_path, output_path)
    else:
        main([int(arg) for arg in sys.argv[1:]] or [50_000, 200_000])
