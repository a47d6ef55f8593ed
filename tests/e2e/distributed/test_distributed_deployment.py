"""The provider where users outgrow one machine: PostgreSQL, CeleryExecutor with two workers that
share no disk, object storage over the S3 API (see deployment.py).

Each scenario triggers its DAG through the REST API, reads what a user reads (task states, the
worker each try ran on, XCom, task logs, which come from S3), and counts what it left on the
remote sides: batches, files, jobs and vector stores on the emulator, objects in the bucket.
Scenarios run in file order: the first runs with `[openai] output_root` unset on the workers,
the others with it on `s3://`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from airflow_openai.emulator.server import ADMIN_KEY, PROJECT_KEY
from tests.e2e.distributed.deployment import AUDIT_HOURS, BUCKET, HEARTBEAT_TIMEOUT, OUTPUT_ROOT
from tests.e2e.distributed.summary import Record

if TYPE_CHECKING:
    from tests.e2e.distributed.deployment import DistributedDeployment

pytestmark = pytest.mark.e2e

REVIEWS = 200
PROMPTS = 200
"""Prompts of the scenario DAGs' batches (dags/dist_scenarios.py)."""
EXAMPLE = "example_openai_batch"
EXAMPLE_CONSUMER = "example_openai_batch_results"
NO_ROOT_WARNING = "No output_path and no output root"
"""How the provider's warning begins when a task writes its output on the worker's own disk."""
HANDBOOK = {
    "handbook/onboarding.md": "# Onboarding\n\nNew starters get a laptop on their first day.\n",
    "handbook/expenses.md": "# Expenses\n\nClaim travel within 30 days.\n",
    "handbook/security/passwords.md": "# Passwords\n\nUse the password manager.\n",
    "handbook/security/laptops.md": "# Laptops\n\nLock the screen when you leave the desk.\n",
    "handbook/holidays.txt": "Holidays: 27 days a year, plus public holidays.\n",
}
ROUTE = (
    "Route the support ticket to one queue: billing, shipping, account or bug. Answer with the queue only."
)
TICKETS = [
    ("I was charged twice for my order", "billing"),
    ("please refund the duplicate payment", "billing"),
    ("my invoice shows the wrong amount", "billing"),
    ("my parcel has not arrived yet", "shipping"),
    ("the tracking number does not work", "shipping"),
    ("the box arrived damaged in delivery", "shipping"),
    ("I cannot log in to my account", "account"),
    ("please reset my password", "account"),
    ("I want to delete my account", "account"),
    ("the app crashes when I open settings", "bug"),
    ("the export button does nothing", "bug"),
    ("images do not load in the gallery", "bug"),
]
_runs = iter(range(1, 1000))


# -- what a user does and reads, through the REST API ------------------------------------------


def trigger(dist: DistributedDeployment, dag_id: str, conf: dict[str, Any] | None = None) -> str:
    run_id = f"{dag_id}__{next(_runs)}"
    body = {"dag_run_id": run_id, "logical_date": None, "conf": conf or {}}
    dist.api._call("POST", f"/dags/{dag_id}/dagRuns", json=body)
    return run_id


def wait_run(dist: DistributedDeployment, dag_id: str, run_id: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        state = dist.api.get(f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
        if state in ("success", "failed"):
            return str(state)
        if time.monotonic() > deadline:
            raise dist.api.fail(f"{dag_id} run {run_id} still {state} after {timeout:.0f}s")
        time.sleep(1)


def task_instances(dist: DistributedDeployment, dag_id: str, run_id: str) -> dict[str, dict[str, Any]]:
    found = dist.api.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]
    return {ti["task_id"]: ti for ti in found}


def where_ran(tis: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Each task's state and the worker (hostname) its latest try ran on."""
    return {task: (ti["state"], ti["hostname"]) for task, ti in tis.items()}


def xcom(dist: DistributedDeployment, dag_id: str, run_id: str, task_id: str) -> Any:
    value = dist.api.xcom(dag_id, run_id, task_id)
    return json.loads(value) if isinstance(value, str) else value


def log_entries(
    dist: DistributedDeployment, dag_id: str, run_id: str, task_id: str, try_number: int = 1
) -> list:
    return dist.api.log_entries(dag_id, run_id, task_id, try_number)


def wait_log(
    dist: DistributedDeployment, dag_id: str, run_id: str, task_id: str, text: str, try_number: int = 1
) -> list:
    """The task log once it holds `text` (or as it is after 30 s): a worker uploads a try's log to S3
    as the try ends, so a read right after may not find it yet."""
    deadline = time.monotonic() + 30
    while True:
        entries = log_entries(dist, dag_id, run_id, task_id, try_number)
        if text in json.dumps(entries) or time.monotonic() > deadline:
            return entries
        time.sleep(2)


def batches_of(dist: DistributedDeployment, dag_id: str) -> list[dict[str, Any]]:
    return dist.emulator.batches(dag_id)


def dag_runs(dist: DistributedDeployment, dag_id: str) -> list[dict[str, Any]]:
    return dist.api.get(f"/dags/{dag_id}/dagRuns", limit=100)["dag_runs"]


def s3_key(uri: str) -> str:
    """The key of `s3://conn@bucket/key`."""
    return uri.removeprefix("s3://").partition("/")[2]


# -- scenarios -----------------------------------------------------------------------------------


def test_cross_worker_read_fails_without_output_root(dist: DistributedDeployment, record: Record) -> None:
    """Without `[openai] output_root`, the batch example's `summarise` (worker A) writes its results
    on A's own disk and warns; `report` (worker B) cannot find them: FileNotFoundError, the file
    being there on A all along."""
    dist.set_output_root(None)
    batches_before = len(batches_of(dist, EXAMPLE))
    run_id = trigger(dist, EXAMPLE, {"reviews": REVIEWS})
    assert wait_run(dist, EXAMPLE, run_id, 300) == "failed"
    tis = task_instances(dist, EXAMPLE, run_id)
    ran = where_ran(tis)
    assert ran["summarise"] == ("success", "worker-a"), ran
    assert ran["report"] == ("failed", "worker-b"), ran

    manifest = xcom(dist, EXAMPLE, run_id, "summarise")
    local = manifest["output_path"]
    worker_a = dist.workers["a"].airflow_home
    assert local.startswith(f"{worker_a}/"), f"the results went to {local}, not worker A's home"
    assert len(Path(local).read_text().splitlines()) == REVIEWS, (
        "the results file is whole, on worker A's disk"
    )
    summarise_log = wait_log(dist, EXAMPLE, run_id, "summarise", NO_ROOT_WARNING)
    warnings = [e["event"] for e in summarise_log if NO_ROOT_WARNING in str(e.get("event"))]
    assert len(warnings) == 1 and local in warnings[0], (
        f"summarise's warnings: {warnings}; its log: {[e.get('event') for e in summarise_log][-15:]}"
    )
    report_log = wait_log(dist, EXAMPLE, run_id, "report", "Task failed with exception")
    errors = [detail for e in report_log for detail in e.get("error_detail") or []]
    assert errors, "report's log holds no exception"
    error = f"{errors[0]['exc_type']}: {errors[0]['exc_value']}"
    # Hidden by its mount namespace, worker A's folder does not exist for worker B, as on another
    # machine; kept apart by users alone (no mount namespaces here), it is there but unreadable.
    expected = "FileNotFoundError" if dist.workers["b"].hidden else "PermissionError"
    assert errors[0]["exc_type"] == expected and local in error, error

    batches = len(batches_of(dist, EXAMPLE)) - batches_before
    assert batches == 1
    record.remote += [f"batches: {batches}", "results objects in S3: 0 (on worker A's disk)"]
    record.notes += [f"summarise (worker-a) warned: {warnings[0]}", f"report (worker-b) failed: {error}"]


def test_batch_example_across_workers(dist: DistributedDeployment, record: Record) -> None:
    """With `[openai] output_root` on `s3://`: `summarise` on worker A writes the results to the
    bucket, `report` on worker B reads them there, and the DAG scheduled on the results asset runs
    once more, with the `s3://` path in its event."""
    restarted = time.monotonic()
    dist.set_output_root(OUTPUT_ROOT)
    record.notes.append(
        f"both workers restarted with output_root={OUTPUT_ROOT} in {time.monotonic() - restarted:.0f}s"
    )
    batches_before = len(batches_of(dist, EXAMPLE))
    consumer_runs = {run["dag_run_id"] for run in dag_runs(dist, EXAMPLE_CONSUMER)}

    run_id = trigger(dist, EXAMPLE, {"reviews": REVIEWS})
    assert wait_run(dist, EXAMPLE, run_id, 300) == "success"
    ran = where_ran(task_instances(dist, EXAMPLE, run_id))
    assert ran["summarise"] == ("success", "worker-a"), ran
    assert ran["report"] == ("success", "worker-b"), ran

    manifest = xcom(dist, EXAMPLE, run_id, "summarise")
    path = manifest["output_path"]
    assert path.startswith(f"{OUTPUT_ROOT}/{EXAMPLE}/"), path
    rows = dist.s3_read(path).decode().splitlines()
    assert len(rows) == REVIEWS
    report = xcom(dist, EXAMPLE, run_id, "report")
    assert sum(report["sentiments"].values()) == REVIEWS, report
    assert not [
        e
        for e in wait_log(dist, EXAMPLE, run_id, "summarise", "Post Execute")
        if NO_ROOT_WARNING in str(e.get("event"))
    ]

    consumed = wait_new_run(dist, EXAMPLE_CONSUMER, consumer_runs, timeout=120)
    assert consumed["run_type"] == "asset_triggered", consumed
    seen = xcom(dist, EXAMPLE_CONSUMER, consumed["dag_run_id"], "new_results")
    assert [extra["output_path"] for extra in seen] == [path], seen
    consumer_ti = task_instances(dist, EXAMPLE_CONSUMER, consumed["dag_run_id"])["new_results"]
    time.sleep(5)  # a second run, were one queued, would show by now
    new_runs = {r["dag_run_id"] for r in dag_runs(dist, EXAMPLE_CONSUMER)} - consumer_runs
    assert new_runs == {consumed["dag_run_id"]}, f"the consumer ran {len(new_runs)} times"

    batches = len(batches_of(dist, EXAMPLE)) - batches_before
    assert batches == 1
    objects = dist.s3_keys(s3_key(path).rpartition("/")[0] + "/")
    record.remote += [f"batches: {batches}", f"results objects in S3: {len(objects)} ({REVIEWS} rows)"]
    record.notes.append(
        f"summarise on worker-a wrote {path}; report on worker-b read {REVIEWS} rows; "
        f"{EXAMPLE_CONSUMER} ran once ({consumed['run_type']}, on {consumer_ti['hostname']})"
    )


def wait_new_run(
    dist: DistributedDeployment, dag_id: str, before: set[str], timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        runs = [r for r in dag_runs(dist, dag_id) if r["dag_run_id"] not in before]
        assert len(runs) <= 1, f"{dag_id} ran {len(runs)} times: {runs}"
        if runs and runs[0]["state"] in ("success", "failed"):
            assert runs[0]["state"] == "success", runs[0]
            return runs[0]
        if time.monotonic() > deadline:
            raise dist.api.fail(f"no new finished run of {dag_id} within {timeout:.0f}s: {runs}")
        time.sleep(1)


def test_audit_export_catches_up_three_hours(dist: DistributedDeployment, record: Record) -> None:
    """The hourly audit export, unpaused, catches up the three full hours before start-up: three
    runs on worker B, each writing its hour's entries (as many as the emulator lists for that hour)
    to one object under `s3://`."""
    dist.set_output_root(OUTPUT_ROOT)
    admin = httpx.Client(base_url=dist.emulator.base_url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    control = httpx.Client(base_url=dist.emulator.url)
    hours = [int(dist.audit_start.timestamp()) + 3600 * n for n in range(AUDIT_HOURS)]
    for n, start in enumerate(hours):
        for k in range(n + 2):  # 2, 3, 4 entries: each hour's file is told apart by its count
            body = {"type": "login.succeeded", "effective_at": start + 300 + 120 * k}
            control.post("/_emulator/organization/audit_logs", json=body).raise_for_status()
    expected = [count_audit_entries(admin, start, start + 3600) for start in hours]
    assert all(count >= n + 2 for n, count in enumerate(expected)), expected

    wait_for_dag(dist, "dist_audit_logs", timeout=120)
    dist.api._call("PATCH", "/dags/dist_audit_logs", json={"is_paused": False})
    deadline = time.monotonic() + 240
    while True:
        runs = dag_runs(dist, "dist_audit_logs")
        if len(runs) >= AUDIT_HOURS and all(r["state"] in ("success", "failed") for r in runs):
            break
        if time.monotonic() > deadline:
            raise dist.api.fail(f"the audit export did not catch up within 240s: {runs}")
        time.sleep(2)
    time.sleep(5)  # a fourth run, were one due, would show by now
    runs = sorted(dag_runs(dist, "dist_audit_logs"), key=lambda r: r["data_interval_start"])
    assert [(r["state"], r["run_type"]) for r in runs] == [("success", "scheduled")] * AUDIT_HOURS, runs

    counts, keys = [], []
    for run, want in zip(runs, expected, strict=True):
        ti = task_instances(dist, "dist_audit_logs", run["dag_run_id"])["export_audit_logs"]
        assert ti["hostname"] == "worker-b", ti["hostname"]
        result = xcom(dist, "dist_audit_logs", run["dag_run_id"], "export_audit_logs")
        assert result["path"].startswith(f"{OUTPUT_ROOT}/dist_audit_logs/export_audit_logs/"), result["path"]
        lines = dist.s3_read(result["path"]).decode().splitlines()
        assert result["count"] == len(lines) == want, (result, len(lines), want)
        counts.append(result["count"])
        keys.append(s3_key(result["path"]))
    assert len(set(keys)) == AUDIT_HOURS, keys
    stored = dist.s3_keys("openai/dist_audit_logs/")
    assert sorted(keys) == stored, stored
    record.remote += [
        f"audit entries per hour on the emulator: {expected}",
        f"export objects in S3: {len(stored)}",
    ]
    record.notes.append(
        f"3 hourly runs from {dist.audit_start:%H:%M} UTC on worker-b, entries written {counts}"
    )


def count_audit_entries(admin: httpx.Client, start: int, end: int) -> int:
    count, after = 0, None
    while True:
        params: dict[str, Any] = {"limit": 100, "effective_at[gte]": start, "effective_at[lt]": end}
        if after:
            params["after"] = after
        page = admin.get("/organization/audit_logs", params=params)
        page.raise_for_status()
        body = page.json()
        count += len(body["data"])
        if not body.get("has_more") or not body["data"]:
            return count
        after = body["data"][-1]["id"]


def wait_for_dag(dist: DistributedDeployment, dag_id: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while dist.api._http.get(f"/dags/{dag_id}").status_code == 404:
        if time.monotonic() > deadline:
            raise dist.api.fail(f"{dag_id} not parsed within {timeout:.0f}s")
        time.sleep(2)


def test_vector_store_sync_from_s3_twice(dist: DistributedDeployment, record: Record) -> None:
    """The same sync of an `s3://` prefix, on worker A then on worker B: the first uploads the five
    documents, the second finds them in the store and uploads nothing."""
    dist.set_output_root(OUTPUT_ROOT)
    for key, text in HANDBOOK.items():
        dist.s3_put(key, text.encode())
    files_before = len(dist.emulator.files("assistants"))
    run_id = trigger(dist, "dist_vector_store")
    assert wait_run(dist, "dist_vector_store", run_id, 300) == "success"
    ran = where_ran(task_instances(dist, "dist_vector_store", run_id))
    assert ran == {"sync_on_a": ("success", "worker-a"), "sync_on_b": ("success", "worker-b")}, ran
    first = xcom(dist, "dist_vector_store", run_id, "sync_on_a")
    second = xcom(dist, "dist_vector_store", run_id, "sync_on_b")
    assert (first["uploaded"], first["added"]) == (len(HANDBOOK), len(HANDBOOK)), first
    assert (second["uploaded"], second["added"], second["unchanged"]) == (0, 0, len(HANDBOOK)), second
    assert first["vector_store_id"] == second["vector_store_id"]
    uploads = len(dist.emulator.files("assistants")) - files_before
    assert uploads == len(HANDBOOK), f"{uploads} files uploaded for {len(HANDBOOK)} documents"
    store = dist.emulator._api.get(f"/vector_stores/{first['vector_store_id']}").json()
    assert store["file_counts"]["completed"] == len(HANDBOOK), store["file_counts"]
    record.remote += [
        f"uploads: {uploads} (worker A {first['uploaded']}, worker B {second['uploaded']})",
        f"vector store files: {store['file_counts']['completed']}",
    ]


def test_fine_tuning_from_an_s3_training_file(dist: DistributedDeployment, record: Record) -> None:
    """A fine-tuning job from an `s3://` training file on worker A; its metrics and loss chart go to
    `s3://` under the output root, where worker B reads them."""
    dist.set_output_root(OUTPUT_ROOT)
    lines = [
        json.dumps({"messages": [
            {"role": "system", "content": ROUTE},
            {"role": "user", "content": ticket},
            {"role": "assistant", "content": queue},
        ]})
        for ticket, queue in TICKETS
    ]  # fmt: skip
    dist.s3_put("training/tickets.jsonl", ("\n".join(lines) + "\n").encode())
    files_before = {f["id"] for f in dist.emulator.files("fine-tune")}
    run_id = trigger(dist, "dist_fine_tuning")
    assert wait_run(dist, "dist_fine_tuning", run_id, 300) == "success"
    ran = where_ran(task_instances(dist, "dist_fine_tuning", run_id))
    assert ran == {"fine_tune": ("success", "worker-a"), "read_metrics": ("success", "worker-b")}, ran

    result = xcom(dist, "dist_fine_tuning", run_id, "fine_tune")
    folder = f"{OUTPUT_ROOT}/dist_fine_tuning/{run_id}/fine_tune"
    assert result["status"] == "succeeded", result["status"]
    for key in ("metrics_path", "chart_path"):
        assert str(result[key]).startswith(folder), (key, result[key])
    read = xcom(dist, "dist_fine_tuning", run_id, "read_metrics")
    assert read["chart_is_svg"] and read["metrics_bytes"] > 0, read
    objects = dist.s3_keys(s3_key(folder) + "/")
    assert {s3_key(result["metrics_path"]), s3_key(result["chart_path"])} <= set(objects), objects

    jobs = [j for j in dist.emulator.fine_tuning_jobs() if j.get("user_provided_suffix") == "e2e-distributed"]
    uploads = [f for f in dist.emulator.files("fine-tune") if f["id"] not in files_before]
    assert [j["id"] for j in jobs] == [result["job_id"]], [j["id"] for j in jobs]
    assert [f["id"] for f in uploads] == [jobs[0]["training_file"]], uploads
    record.remote += [
        f"fine-tuning jobs: {len(jobs)}",
        f"training files uploaded: {len(uploads)}",
        f"output objects in S3: {len(objects)} ({', '.join(k.rpartition('/')[2] for k in objects)})",
    ]


def test_worker_killed_mid_wait(dist: DistributedDeployment, record: Record) -> None:
    """A batch waited on in a worker (not deferred), on the queue both workers serve: its worker is
    SIGKILLed, every process of it; Airflow fails the try once its heartbeat stops, the retry runs
    on the other worker and reattaches to the same batch."""
    dag_id = "dist_worker_killed"
    dist.emulator.hold_batches()
    run_id = trigger(dist, dag_id)
    ti = dist.api.wait_ti(dag_id, run_id, "summarise", {"running"}, 180)
    batch = wait_for_one_batch(dist, dag_id, timeout=120)
    wait_for_polls(dist, batch["id"], 0, timeout=60)
    ti = dist.api.ti(dag_id, run_id, "summarise")
    victim = next(w for w in dist.workers.values() if w.hostname == ti["hostname"])
    other = next(w for w in dist.workers.values() if w is not victim)

    killed = time.monotonic()
    dist.kill(victim.component)
    try:
        wait_until(lambda: not dist.worker_processes(victim), 10, "every process of the killed worker gone")
        retried = dist.api.wait_ti(
            dag_id, run_id, "summarise", {"running"}, HEARTBEAT_TIMEOUT + 150, min_try=2
        )
        record.notes.append(
            f"try 1 on {victim.hostname} killed; try 2 running on {retried['hostname']} "
            f"{time.monotonic() - killed:.0f}s later (heartbeat timeout {HEARTBEAT_TIMEOUT}s)"
        )
        assert retried["hostname"] == other.hostname, retried["hostname"]
        polls = dist.emulator.requests(f"/v1/batches/{batch['id']}", "GET")
        wait_for_polls(dist, batch["id"], polls, timeout=60)
        dist.emulator.release_batches()
        done = dist.api.wait_ti(dag_id, run_id, "summarise", {"success"}, 180, min_try=2)
        assert (done["try_number"], done["hostname"]) == (2, other.hostname), done
    finally:
        dist.emulator.release_batches()
        dist.start_worker(victim)

    batches = batches_of(dist, dag_id)
    assert [(b["id"], b["status"]) for b in batches] == [(batch["id"], "completed")], batches
    tries = dist.api.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/summarise/tries")["task_instances"]
    assert [(t["try_number"], t["hostname"]) for t in tries] == [(1, victim.hostname), (2, other.hostname)], (
        tries
    )
    assert tries[-1]["state"] == "success", tries
    record.notes.append(f"tries: {[(t['try_number'], t['hostname'], t['state']) for t in tries]}")
    log = "\n".join(str(e.get("event")) for e in wait_log(dist, dag_id, run_id, "summarise", batch["id"], 2))
    assert batch["id"] in log, "try 2's log does not name the batch it took over"
    manifest = xcom(dist, dag_id, run_id, "summarise")
    assert manifest["batch_ids"] == [batch["id"]] and manifest["output_path"].startswith(OUTPUT_ROOT), (
        manifest
    )
    record.remote += [f"batches: {len(batches)}", "results objects in S3: 1"]


def test_triggerer_killed_mid_wait(dist: DistributedDeployment, record: Record) -> None:
    """As on one machine: the triggerer SIGKILLed while a batch is deferred; nobody polls until a new
    triggerer starts and takes the trigger over; the task resumes on worker B for the results."""
    dag_id = "dist_triggerer_killed"
    dist.emulator.hold_batches()
    run_id = trigger(dist, dag_id)
    dist.api.wait_ti(dag_id, run_id, "summarise", {"deferred"}, 180)
    batch = wait_for_one_batch(dist, dag_id, timeout=60)
    wait_for_polls(dist, batch["id"], 0, timeout=60)
    dist.kill("triggerer")
    time.sleep(3)  # a poll already on the wire lands; after that, nobody is watching the batch
    polls = dist.emulator.requests(f"/v1/batches/{batch['id']}", "GET")
    time.sleep(5)
    assert dist.emulator.requests(f"/v1/batches/{batch['id']}", "GET") == polls, "polled with no triggerer"
    assert dist.api.ti(dag_id, run_id, "summarise")["state"] == "deferred"
    restarted = time.monotonic()
    dist.restart("triggerer")
    wait_for_polls(dist, batch["id"], polls, timeout=180)
    record.notes.append(
        f"a new triggerer resumed polling {time.monotonic() - restarted:.0f}s after its start"
    )
    dist.emulator.release_batches()
    done = dist.api.wait_ti(dag_id, run_id, "summarise", {"success"}, 180)
    assert (done["try_number"], done["hostname"]) == (1, "worker-b"), done
    batches = batches_of(dist, dag_id)
    assert [(b["id"], b["status"]) for b in batches] == [(batch["id"], "completed")], batches
    manifest = xcom(dist, dag_id, run_id, "summarise")
    assert manifest["output_path"].startswith(OUTPUT_ROOT), manifest["output_path"]
    assert len(dist.s3_read(manifest["output_path"]).decode().splitlines()) == PROMPTS
    record.remote += [f"batches: {len(batches)}", "results objects in S3: 1"]


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not {what} within {timeout:.0f}s"
        time.sleep(0.2)


def wait_for_one_batch(dist: DistributedDeployment, dag_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while not (found := batches_of(dist, dag_id)):
        if time.monotonic() > deadline:
            raise dist.api.fail(f"{dag_id} submitted no batch within {timeout:.0f}s")
        time.sleep(1)
    assert len(found) == 1, f"expected one batch, found {[b['id'] for b in found]}"
    return found[0]


def wait_for_polls(dist: DistributedDeployment, batch_id: str, more_than: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while (seen := dist.emulator.requests(f"/v1/batches/{batch_id}", "GET")) <= more_than:
        if time.monotonic() > deadline:
            raise dist.api.fail(f"no poll of batch {batch_id} beyond {more_than} within {timeout:.0f}s")
        time.sleep(0.5)
    return seen


def test_no_key_in_any_log(dist: DistributedDeployment, record: Record) -> None:
    """After every scenario: neither API key is in a task log in S3, a component log, or any file
    the workers left in their homes."""
    keys = {"the project key": PROJECT_KEY.encode(), "the admin key": ADMIN_KEY.encode()}
    logs = dist.s3_keys("logs/")
    assert logs
    found = [
        f"{what} in s3 {key}"
        for key in logs
        for what, k in keys.items()
        if k in dist.s3_read(f"s3://{BUCKET}/{key}")
    ]
    folders = [dist.log_dir, *(worker.root for worker in dist.workers.values())]
    local = [path for folder in folders for path in folder.rglob("*") if path.is_file()]
    found += [f"{what} in {path}" for path in local for what, k in keys.items() if k in path.read_bytes()]
    record.remote.append(f"task logs in S3: {len(logs)}; local files searched: {len(local)}")
    assert not found, found
