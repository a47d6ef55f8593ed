"""Direct calls at the rate limit: `DirectRun` (what `OpenAIDirectCallsOperator` runs) against the plain SDK
pattern a user would write instead, in the same run, against the emulator in its own process.

- ours: 10,000 chat requests through `DirectRun`, 50 in flight at most, paced by the
  `x-ratelimit-*` headers, each answer journaled as it arrives.
- SDK: the same requests as `asyncio.gather` over `AsyncOpenAI.chat.completions.create` with a
  semaphore of 50 (the SDK's own retries: two, honouring `retry-after`).

The emulator limits the key to 3,000 requests and 1,000,000 tokens a minute and adds 200 ms to
every call admitted. Reported for each: wall time; the rate of answers that succeeded, overall
and sustained (after the first minute, once the full bucket the key starts with is spent); calls
the emulator received; 429s (calls beyond the successful ones: the emulator answers nothing but
success or 429 here); and requests that failed for good (the SDK gives up after its retries).

Memory: peak RSS of `DirectRun` over 10,000 and over 100,000 requests (no limit, no latency),
each in a fresh process: flat means the two are within 10%.

    python benchmarks/direct_calls.py [--requests 10000] [--memory 10000,100000] [--skip-sdk]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="bench-airflow-")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")

from emulator_process import start_emulator  # noqa: E402

from airflow_openai.emulator.core.request_log import matching  # noqa: E402
from airflow_openai.emulator.server import PROJECT_KEY  # noqa: E402

RPM, TPM, LATENCY_MS, CONCURRENCY = 3000, 1_000_000, 200, 50
PATH = "/v1/chat/completions"


def prompts(count: int):
    return [f"Summarise review {n} in five words." for n in range(count)]


def calls(url: str) -> int:
    return matching(httpx.get(f"{url}/_emulator/requests").json()["requests"], PATH, "POST")


def limit(url: str, rpm: int | None, tpm: int | None, latency_ms: int) -> None:
    httpx.delete(f"{url}/_emulator/rate_limits").raise_for_status()
    httpx.post(f"{url}/_emulator/rate_limits", json={"requests_per_minute": rpm, "tokens_per_minute": tpm})
    httpx.post(f"{url}/_emulator/latency", json={"latency_ms": latency_ms}).raise_for_status()


def run_ours(url: str, count: int, finished: list[float]) -> dict:
    from airflow_openai.batch.chunks import prepare
    from airflow_openai.batch.requests import checked, from_prompts, prompt_rows
    from airflow_openai.client.policy import RetryPolicy
    from airflow_openai.client.settings import ClientSettings
    from airflow_openai.direct.journal import Journal
    from airflow_openai.direct.runner import DirectRun, fingerprint
    from airflow_openai.hooks.openai import OpenAIHook

    workdir = Path(tempfile.mkdtemp(prefix="bench-direct-"))
    lines = checked(from_prompts(prompt_rows(prompts(count)), model="gpt-4o-mini"), PATH)
    prepared = prepare(lines, workdir, PATH)
    journal = Journal(workdir / "journal.jsonl", fingerprint(prepared)).open()

    write = journal.write

    def timed_write(row):
        write(row)
        finished.append(time.monotonic())

    journal.write = timed_write  # type: ignore[method-assign]  # the benchmark's own clock on each answer
    settings = ClientSettings(api_key=PROJECT_KEY, base_url=f"{url}/v1", source="bench")
    with OpenAIHook(settings=settings, retry_policy=RetryPolicy(max_retries=0)) as hook:  # as the operator
        run = DirectRun(
            hook=hook,
            endpoint=PATH,
            prepared=prepared,
            journal=journal,
            concurrency=CONCURRENCY,
            log_every=3600,
        )
        tally = asyncio.run(run.run())
    journal.close()
    return {"succeeded": tally.succeeded, "failed": tally.failed}


def run_sdk(url: str, count: int, finished: list[float]) -> dict:
    from openai import AsyncOpenAI

    async def main() -> dict:
        client = AsyncOpenAI(api_key=PROJECT_KEY, base_url=f"{url}/v1")
        gate = asyncio.Semaphore(CONCURRENCY)
        failed = 0

        async def one(prompt: str) -> None:
            nonlocal failed
            async with gate:
                try:
                    await client.chat.completions.create(
                        model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}]
                    )
                except Exception:
                    failed += 1
                else:
                    finished.append(time.monotonic())

        await asyncio.gather(*(one(p) for p in prompts(count)))
        await client.close()
        return {"succeeded": count - failed, "failed": failed}

    return asyncio.run(main())


def measure(name: str, runner, url: str, count: int) -> dict:
    limit(url, RPM, TPM, LATENCY_MS)
    before = calls(url)
    finished: list[float] = []
    started = time.monotonic()
    outcome = runner(url, count, finished)
    wall = time.monotonic() - started
    received = calls(url) - before
    after_burst = [t for t in finished if t - started > 60]
    sustained = (
        (len(after_burst) - 1) / (after_burst[-1] - after_burst[0]) * 60
        if len(after_burst) > 1
        else float("nan")
    )
    return {
        "name": name,
        "wall_s": wall,
        "per_min": outcome["succeeded"] / wall * 60,
        "sustained_per_min": sustained,
        "calls": received,
        "refused_429": received - outcome["succeeded"],
        **outcome,
    }


def _kib(field: str) -> int:
    """A line of /proc/self/status in KiB (VmRSS: now, VmHWM: the peak so far)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def memory_child(count: int) -> None:
    """Run ours over `count` requests with no limit; print the peak RSS in MB, and how far the run
    took it above the resident size it started from (imports done, a first run of 10 made)."""
    run_ours(os.environ["BENCH_URL"], 10, [])
    start = _kib("VmRSS")
    run_ours(os.environ["BENCH_URL"], count, [])
    peak = _kib("VmHWM")
    print(f"{peak / 1024:.1f} {(peak - start) / 1024:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--memory", default="10000,100000")
    parser.add_argument("--skip-sdk", action="store_true")
    parser.add_argument("--memory-child", type=int, default=None)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return
    process, url = start_emulator(tempfile.mkdtemp(prefix="bench-emu-"))
    try:
        results = [measure("ours (DirectRun)", run_ours, url, args.requests)]
        if not args.skip_sdk:
            results.append(measure("SDK gather + semaphore(50)", run_sdk, url, args.requests))
        print(
            f"{args.requests} chat requests; limit {RPM} requests and {TPM:,} tokens a minute; {LATENCY_MS} ms a call"
        )
        for r in results:
            print(
                f"  {r['name']:<28} {r['wall_s']:7.1f} s  {r['per_min']:7.0f}/min overall  "
                f"{r['sustained_per_min']:7.0f}/min sustained ({r['sustained_per_min'] / RPM:.0%} of the limit)  "
                f"{r['calls']} calls, {r['refused_429']} answered 429 ({r['refused_429'] / r['calls']:.2%}), "
                f"{r['failed']} failed"
            )
        if len(results) == 2:
            ours, sdk = results
            print(
                f"  ratio ours/SDK: wall {ours['wall_s'] / sdk['wall_s']:.2f}, 429s {ours['refused_429']}/{sdk['refused_429']}"
            )
        limit(url, None, None, 0)
        peaks = {}
        for count in (int(n) for n in args.memory.split(",") if n):
            out = subprocess.run(
                [sys.executable, __file__, "--memory-child", str(count)],
                env={**os.environ, "BENCH_URL": url},
                capture_output=True,
                text=True,
                check=True,
            )
            peak, growth = (float(x) for x in out.stdout.strip().splitlines()[-1].split())
            peaks[count] = peak
            print(
                f"  over {count} requests: peak RSS {peak:.0f} MB, {growth:.1f} MB above where the run started"
            )
        if len(peaks) == 2:
            small, large = sorted(peaks)
            print(f"  ratio of the peaks {large}/{small}: {peaks[large] / peaks[small]:.2f}")
        print(json.dumps({"results": results, "peak_rss_mb": peaks}))
    finally:
        process.kill()


if __name__ == "__main__":
    main()
