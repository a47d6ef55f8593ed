"""Syncing a folder of 2,000 small files of which 20 changed: `OpenAIVectorStoreIngestOperator`
against re-uploading all of them, the way hand-written DAG code does it today. Requests made
and wall time, measured in the same run against the local emulator (in its own process).

- ours: a second `execute` of the same operator (sync mode, `store_key`) after the folder was
  ingested once and 20 files changed. It lists the store and the account's files, uploads the
  20 changed files, attaches them in one file batch, waits, then detaches and deletes the 20
  old versions.
- re-upload all (the incumbent's way, `upload_and_poll`-style code): upload all 2,000 files
  (`OpenAIHook.upload_file`, 16 at a time, as many as ours), create a fresh vector store,
  attach them in file batches of 500 and wait until they complete. Replacing the old store
  (detaching and deleting its 2,000 files) is left out, so its figures are a lower bound.

Both upload 16 at a time and poll at least every 0.05 s; the emulator processes files 6,000
times faster than real time, so the wait is not what is measured. Each round changes 20 other
files and runs both, in alternating order; what the re-upload made is deleted before the next
variant runs (not timed). Figures are medians over the rounds.

    python benchmarks/vector_store_sync.py [--files 2000] [--changed 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="bench-airflow-")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")

from emulator_process import start_emulator  # noqa: E402

from airflow_openai.emulator.core.request_log import matching  # noqa: E402
from airflow_openai.emulator.server import PROJECT_KEY  # noqa: E402

CONCURRENCY = 16
BATCH_LIMIT = 500
POLL = 0.05
SPEED = 6000


class TaskInstanceStandIn:
    """What `execute` reads of a task instance (as in tests/support/task_instance.py): no metadata DB needed."""

    dag_id, run_id, map_index, try_number = "bench_dag", "manual__1", -1, 1

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        self.xcom: dict[str, object] = {}

    def xcom_push(self, key: str, value: object) -> None:
        self.xcom[key] = value


# -- the emulator's request log ----------------------------------------------------------------------


class Requests:
    """API requests the emulator received between two points, counted by kind."""

    KINDS = (
        ("uploads", [("POST", "/v1/files"), ("*", "/v1/uploads"), ("*", "/v1/uploads/*")]),
        ("batch creates", [("POST", "/v1/vector_stores/*/file_batches")]),
        ("batch polls", [("GET", "/v1/vector_stores/*/file_batches/*")]),
        ("store file pages", [("GET", "/v1/vector_stores/*/files")]),
        ("account file pages", [("GET", "/v1/files")]),
        ("other reads", [("GET", "*")]),
        ("deletes", [("DELETE", "*")]),
        ("other", [("*", "*")]),
    )

    def __init__(self, url: str) -> None:
        self.control = httpx.Client(base_url=f"{url}/_emulator", timeout=60)

    def snapshot(self) -> Counter[tuple[str, str]]:
        response = self.control.get("/requests")
        response.raise_for_status()
        return Counter({(r["method"], r["path"]): r["count"] for r in response.json()["requests"]})

    def since(self, before: Counter[tuple[str, str]]) -> dict[str, int]:
        """Requests since `before`, by kind (each request in the first kind it matches) and in total."""
        left = [
            {"method": method, "path": path, "count": count}
            for (method, path), count in (self.snapshot() - before).items()
        ]
        counts = {"total": sum(entry["count"] for entry in left)}
        for kind, patterns in self.KINDS:
            taken = [e for e in left if any(matching([e], path, method) for method, path in patterns)]
            counts[kind] = sum(e["count"] for e in taken)
            left = [e for e in left if e not in taken]
        return counts


# -- the two ways ------------------------------------------------------------------------------------


def run_ours(operator: Any) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    result = operator.execute({"ti": TaskInstanceStandIn("ingest")})
    return time.perf_counter() - started, result


def run_reupload(paths: list[Path]) -> tuple[float, str, list[str]]:
    """Upload everything, attach it to a fresh store in batches of 500, wait: the incumbent's way."""
    from airflow_openai.hooks.openai import OpenAIHook
    from airflow_openai.pacing import PollPacing

    started = time.perf_counter()
    hook = OpenAIHook()
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        file_ids = [f.id for f in pool.map(lambda path: hook.upload_file(path, "assistants"), paths)]
    store_id = hook.create_vector_store(name="bench-reupload").id
    batch_ids = [
        hook.create_vector_store_file_batch(store_id, file_ids[start : start + BATCH_LIMIT]).id
        for start in range(0, len(file_ids), BATCH_LIMIT)
    ]
    final = hook.wait_for_vector_store_file_batches(store_id, batch_ids, pacing=PollPacing(minimum=POLL))
    elapsed = time.perf_counter() - started
    bad = {batch_id: a.status for batch_id, a in final.items() if a.status != "completed"}
    if bad:
        raise RuntimeError(f"re-upload: file batches did not complete: {bad}")
    return elapsed, store_id, file_ids


def account_files() -> dict[str, int]:
    """The account's files, id → bytes (not timed, and outside the counted requests)."""
    from airflow_openai.hooks.openai import OpenAIHook

    return {f.id: f.bytes for f in OpenAIHook().list_files()}


def new_bytes(before: dict[str, int]) -> int:
    """Bytes of the files uploaded since `before` (read from the account, so what really landed)."""
    return sum(size for file_id, size in account_files().items() if file_id not in before)


def clean_up(store_id: str, file_ids: list[str]) -> None:
    """Delete what the re-upload made, so the next variant lists the same account (not timed)."""
    from airflow_openai.hooks.openai import OpenAIHook

    hook = OpenAIHook()
    hook.delete_vector_store(store_id)
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        list(pool.map(hook.delete_file, file_ids))


# -- the folder ---------------------------------------------------------------------------------------


def make_folder(folder: Path, count: int) -> list[Path]:
    paths = []
    for n in range(count):
        path = folder / f"doc-{n:04d}.md"
        path.write_text(
            f"# Document {n}\n\n"
            f"This is document number {n} of the benchmark corpus. It describes topic {n % 37} "
            f"and refers to documents {(n + 1) % count} and {(n + 7) % count}. "
            "Small files like this one are what a handbook or a wiki export is made of.\n"
        )
        paths.append(path)
    return paths


def change(paths: list[Path], changed: int, round_number: int) -> None:
    """Append a line to `changed` files spread over the folder, other ones each round."""
    step = len(paths) // changed
    picked = [paths[(n * step + round_number) % len(paths)] for n in range(changed)]
    for path in picked:
        with path.open("a") as sink:
            sink.write(f"\nRevised in round {round_number}.\n")


# -- the run ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--changed", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from airflow_openai.operators.vector_stores import OpenAIVectorStoreIngestOperator

    workdir = Path(tempfile.mkdtemp(prefix="bench-sync-", dir=os.environ.get("BENCH_DIR")))
    folder = workdir / "docs"
    folder.mkdir()
    paths = make_folder(folder, args.files)
    total_bytes = sum(path.stat().st_size for path in paths)
    process, url = start_emulator(workdir / "emulator", "--speed", str(SPEED))
    try:
        os.environ["AIRFLOW_CONN_OPENAI_DEFAULT"] = json.dumps(
            {"conn_type": "openai_platform", "host": f"{url}/v1", "password": PROJECT_KEY}
        )
        log = Requests(url)

        def operator() -> OpenAIVectorStoreIngestOperator:
            return OpenAIVectorStoreIngestOperator(
                task_id="ingest",
                source=f"{folder}/*.md",
                store_key="bench",
                poll_interval=POLL,
                upload_concurrency=CONCURRENCY,
            )

        print(
            f"{args.files} files of {total_bytes / args.files:.0f} bytes on average ({total_bytes / 1e3:.0f} KB), "
            f"{args.changed} changed per round; {os.cpu_count()} cores; emulator x{SPEED} in its own process"
        )
        before = log.snapshot()
        prime_seconds, prime = run_ours(operator())
        primed = log.since(before)
        print(
            f"first ingest (not compared): {prime_seconds:.1f} s, {primed['total']} requests, "
            f"{prime['added']} added, {prime['file_counts']['completed']} completed\n"
        )

        ours: list[dict[str, Any]] = []
        theirs: list[dict[str, Any]] = []
        for round_number in range(args.rounds):
            change(paths, args.changed, round_number)
            order = ("ours", "reupload") if round_number % 2 == 0 else ("reupload", "ours")
            for variant in order:
                files_before = account_files()
                before = log.snapshot()
                if variant == "ours":
                    seconds, result = run_ours(operator())
                    counts = log.since(before)
                    counts["bytes"] = new_bytes(files_before)
                    ours.append({"seconds": seconds, **counts})
                    print(
                        f"round {round_number + 1} ours:      {seconds:6.2f} s, {counts['total']:5d} requests; "
                        f"reported added={result['added']} replaced={result['replaced']} "
                        f"removed={result['removed']} unchanged={result['unchanged']} "
                        f"uploaded={result['uploaded']} failed={len(result['failed'])} "
                        f"completed={result['file_counts']['completed']}"
                    )
                else:
                    seconds, store_id, file_ids = run_reupload(paths)
                    counts = log.since(before)
                    counts["bytes"] = new_bytes(files_before)
                    theirs.append({"seconds": seconds, **counts})
                    print(
                        f"round {round_number + 1} re-upload: {seconds:6.2f} s, {counts['total']:5d} requests; "
                        f"{len(file_ids)} files in a fresh store"
                    )
                    clean_up(store_id, file_ids)
    finally:
        process.terminate()
        process.wait(30)

    report(ours, theirs, args.rounds)


def report(ours: list[dict[str, Any]], theirs: list[dict[str, Any]], rounds: int) -> None:
    def median(runs: list[dict[str, Any]], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    print(f"\nmedians of {rounds} rounds")
    print(f"  {'':22s} {'ours (sync)':>12s} {'re-upload all':>14s} {'ratio':>9s}")
    rows = ["total", *(kind for kind, _ in Requests.KINDS)]
    for row in rows:
        mine, other = median(ours, row), median(theirs, row)
        ratio = f"{other / mine:8.1f}x" if mine else f"{'-':>9s}"
        label = "requests" if row == "total" else f"  {row}"
        print(f"  {label:22s} {mine:12.0f} {other:14.0f} {ratio}")
    mine, other = median(ours, "bytes"), median(theirs, "bytes")
    print(f"  {'KB uploaded':22s} {mine / 1e3:12.1f} {other / 1e3:14.1f} {other / mine:8.1f}x")
    mine, other = median(ours, "seconds"), median(theirs, "seconds")
    print(f"  {'wall time (s)':22s} {mine:12.2f} {other:14.2f} {other / mine:8.1f}x")
    spread = ", ".join(f"{r['seconds']:.2f}" for r in ours), ", ".join(f"{r['seconds']:.2f}" for r in theirs)
    print(f"  (wall times per round: ours {spread[0]}; re-upload {spread[1]})")
    print("ratio = re-upload all / ours; re-upload leaves out replacing the old store, a lower bound")


if __name__ == "__main__":
    main()
