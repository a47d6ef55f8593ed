"""The batch and fine-tuning operators on a real Airflow deployment: what a user does, and what
they then see.

Each scenario triggers its own DAG through the REST API (no logical date), disturbs the
deferred wait the way a user or an outage would, and checks the task state, the XCom
manifest, the results file, the task log and the batches (or fine-tuning jobs and uploads)
left on the OpenAI side (counted on the emulator). The stack is started once for the session
(see conftest.py); scenarios run in file order, one at a time.
"""

from __future__ import annotations

import configparser
import contextlib
import hashlib
import json
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from airflow_openai.emulator.server import PROJECT_KEY
from tests.e2e.airflow_api import TERMINAL_TI_STATES
from tests.e2e.deployment import IDENTITY_PROVIDER_ID, SERVICE_ACCOUNT_ID, WIF_CONN_ID, Deployment
from tests.e2e.scenario import ScenarioRun

pytestmark = pytest.mark.e2e

PROMPTS = 200
ON_KILL_LINE = "Trigger cancelled by user action"
"""What Airflow logs (in the task's log) when it ends a deferral and calls the trigger's on_kill."""
OUTAGE_SECONDS = 100
"""Real seconds without a successful poll: well past the wait's old give-up point (10 failed polls,
about 38 s) and 100 emulated minutes on the emulator's clock."""
POLL_SLACK = 1
"""Failed-poll log lines may differ from the refused requests counted by this much: a poll on the wire
while the fault is put in place or lifted is counted on one side only."""
FINE_TUNING_DAG_ID = "e2e_fine_tuning_cleared"
FINE_TUNING_TASK_ID = "fine_tune"
FINE_TUNING_SUFFIX = "e2e-cleared"
"""The suffix the scenario DAG gives its job (tests/e2e/dags/e2e_scenarios.py): how its jobs are told apart."""
STEP_SECONDS = 3
"""Emulated seconds per training step (the emulator's `fine_tuning_lifecycle.STEP_SECONDS`)."""
EVENT_LINE = re.compile(r"\[(ftjob-[^\s\]]+) (\d\d:\d\d:\d\d) (\w+)\] .*")
"""A job's event in the task log (`fine_tuning.events.line`): `[<job_id> HH:MM:SS <level>] <message>`."""
ASSETS_DAG_ID = "e2e_assets"
ASSETS_CONSUMER_DAG_ID = "e2e_assets_consumer"
RESULTS_ASSET_URI = "openai://e2e/review-summaries"
"""The asset `e2e_assets` publishes and `e2e_assets_consumer` is scheduled on (tests/e2e/dags/e2e_scenarios.py)."""
WIF_DAG_ID = "e2e_workload_identity"
TOKEN_LIFETIME_SECONDS = 3
"""Real seconds an access token lives (the emulator's clock speed leaves it alone); the token source
refreshes it after half of that (its buffer is capped at half the lifetime)."""
WIF_WAIT_SECONDS = 20
"""Real seconds the keyless scenario holds its batch while the triggerer polls: over six lifetimes."""
MAX_REFUSED = 3
"""401s tolerated over the keyless run: refreshes come before expiry, so there should be none; a poll
that leaves just as its token is due may meet one."""
ACCESS_TOKEN_PREFIX = "emu-oauth-"
"""How every access token the emulator issues begins (`emulator.identity.token_exchange`)."""
EXCHANGED_LINE = "exchanged a kubernetes subject token for an OpenAI access token"
REFUSED_LINE = "the OpenAI access token was refused; a new one will be exchanged"
"""What `TokenSource` logs on an exchange and on a 401 (`client.identity.token_source`)."""
DEFERRED_LINE = "Pausing task as DEFERRED"
"""What the worker's task runner logs as it hands the wait to the triggerer."""


def assert_results(run: ScenarioRun, *, try_number: int = 1) -> None:
    """One batch, completed; the task succeeded; its manifest and results file hold one row per prompt."""
    batches = run.batches()
    assert [(b["status"], b["request_counts"]["total"]) for b in batches] == [("completed", PROMPTS)], (
        f"expected exactly one completed batch of {PROMPTS}, the emulator holds {batches}"
    )
    ti = run.ti()
    assert (ti["state"], ti["try_number"]) == ("success", try_number)
    manifest = run.manifest()
    assert manifest["batch_ids"] == [batches[0]["id"]]
    assert (manifest["total"], manifest["succeeded"], manifest["failed"]) == (PROMPTS, PROMPTS, 0)
    rows = run.rows()
    assert len(rows) == PROMPTS
    assert len({row["custom_id"] for row in rows}) == PROMPTS
    assert {row["status"] for row in rows} == {"succeeded"}
    assert manifest["output_path"] == str(run.deployment.results_file(run.dag_id, run.run_id))


def wait_for_requests(run: ScenarioRun, path: str, more_than: int, timeout: float) -> int:
    """Until the emulator has seen more than `more_than` GET requests of `path`: the trigger is polling."""
    deadline = time.monotonic() + timeout
    while (seen := run.emulator.requests(path, "GET")) <= more_than:
        if time.monotonic() > deadline:
            raise run.api.fail(f"no poll of {path} beyond {more_than} within {timeout:.0f}s")
        time.sleep(0.5)
    return seen


def wait_for_polls(run: ScenarioRun, batch_id: str, more_than: int, timeout: float) -> int:
    """Until the emulator has seen more than `more_than` status requests for the batch: the trigger is polling."""
    return wait_for_requests(run, f"/v1/batches/{batch_id}", more_than, timeout)


def wait_for_on_kill(
    run: ScenarioRun,
    try_number: int,
    since: float,
    *,
    what: str,
    status_of: Callable[[], str],
    timeout: float = 30,
) -> None:
    """Until Airflow has run the old trigger's `on_kill` (its log says so), checking all the while
    that the job (`what`, whose status `status_of` reads) is not being cancelled; `since` is when
    the user acted (monotonic)."""
    deadline = time.monotonic() + timeout
    while True:
        status = status_of()
        assert status not in ("cancelling", "cancelled"), f"{what} was cancelled"
        if ON_KILL_LINE in run.log(try_number):
            run.note(f"the old trigger's on_kill was logged {time.monotonic() - since:.0f}s after the action")
            time.sleep(2)  # what on_kill does comes right after the line
            return
        if time.monotonic() > deadline:
            run.note(f"Airflow logged no on_kill for try {try_number} within {timeout:.0f}s")
            return
        time.sleep(1)


def batch_status(run: ScenarioRun, batch_id: str) -> Callable[[], str]:
    return lambda: str(run.emulator.batch(batch_id)["status"])


def hold_until_polled(run: ScenarioRun, dag_id: str) -> str:
    """Start `dag_id` with its batch held in progress; returns the batch id once the triggerer polls it."""
    run.emulator.hold_batches()
    run.start(dag_id)
    batch = run.wait_for_batch(timeout=180)
    wait_for_polls(run, batch["id"], 0, timeout=60)
    return batch["id"]


def test_deferred_batch_to_results(scenario: ScenarioRun) -> None:
    scenario.start("e2e_results")
    scenario.wait("success", timeout=180)
    assert_results(scenario)
    assert f"Results: {PROMPTS} succeeded, 0 failed of {PROMPTS}" in scenario.log()


def test_a_dag_scheduled_on_the_results_asset_runs_once_after_the_batch(scenario: ScenarioRun) -> None:
    """The batch task publishes its results as an asset: the scheduler starts the DAG scheduled on the
    asset exactly once; the one asset event, read through the REST API, holds the manifest's batch
    ids, counts, tokens and path in its `extra`, and names that run; the run's task read the same."""
    scenario.start(ASSETS_DAG_ID)
    scenario.wait("success", timeout=180)
    assert_results(scenario)
    manifest = scenario.manifest()
    consumed = wait_for_consumer_run(scenario, timeout=120)

    events = scenario.api.get("/assets/events", source_dag_id=ASSETS_DAG_ID, source_run_id=scenario.run_id)
    assert events["total_entries"] == 1, f"expected one asset event, the API lists {events}"
    (event,) = events["asset_events"]
    assert (event["uri"], event["source_task_id"]) == (RESULTS_ASSET_URI, "summarise")
    assert event["extra"] == {
        "batch_ids": manifest["batch_ids"],
        "model": "gpt-4o-mini",
        "output_path": manifest["output_path"],
        "total": PROMPTS,
        "succeeded": PROMPTS,
        "failed": 0,
        "tokens": manifest["usage"]["total_tokens"],
    }
    assert [(ref["dag_id"], ref["run_id"]) for ref in event["created_dagruns"]] == [
        (ASSETS_CONSUMER_DAG_ID, consumed["dag_run_id"])
    ]
    value = scenario.api.xcom(ASSETS_CONSUMER_DAG_ID, consumed["dag_run_id"], "read_results")
    assert (json.loads(value) if isinstance(value, str) else value) == [event["extra"]]
    time.sleep(10)  # a second run, were one queued, would show by now
    runs = scenario.api.get(f"/dags/{ASSETS_CONSUMER_DAG_ID}/dagRuns")["dag_runs"]
    assert [run["dag_run_id"] for run in runs] == [consumed["dag_run_id"]], "the consumer ran more than once"
    scenario.note(f"the consumer's run {consumed['dag_run_id']} read the asset event's extra")


def wait_for_consumer_run(run: ScenarioRun, timeout: float) -> dict[str, Any]:
    """The one run of the consumer DAG, once it has succeeded (an asset-triggered run)."""
    deadline = time.monotonic() + timeout
    while True:
        runs = run.api.get(f"/dags/{ASSETS_CONSUMER_DAG_ID}/dagRuns")["dag_runs"]
        assert len(runs) <= 1, f"the consumer ran {len(runs)} times: {runs}"
        if runs and runs[0]["state"] in ("success", "failed"):
            assert (runs[0]["state"], runs[0]["run_type"]) == ("success", "asset_triggered"), runs[0]
            return runs[0]
        if time.monotonic() > deadline:
            raise run.api.fail(f"no finished run of {ASSETS_CONSUMER_DAG_ID} within {timeout:.0f}s: {runs}")
        time.sleep(1)


def test_triggerer_killed_mid_wait(scenario: ScenarioRun) -> None:
    batch_id = hold_until_polled(scenario, "e2e_triggerer_killed")
    scenario.deployment.kill("triggerer")
    time.sleep(3)  # a poll already on the wire lands; after that, nobody is watching the batch
    polls = scenario.emulator.requests(f"/v1/batches/{batch_id}", "GET")
    time.sleep(5)
    assert scenario.emulator.requests(f"/v1/batches/{batch_id}", "GET") == polls, "polled with no triggerer"
    assert scenario.emulator.batch(batch_id)["status"] == "in_progress"
    assert scenario.ti()["state"] == "deferred"

    restarted = time.monotonic()
    scenario.deployment.restart("triggerer")
    wait_for_polls(scenario, batch_id, polls, timeout=180)
    scenario.note(f"a new triggerer resumed polling {time.monotonic() - restarted:.0f}s after its start")
    scenario.emulator.release_batches()
    scenario.wait("success", timeout=180)
    assert_results(scenario)


def test_clearing_a_deferred_task(scenario: ScenarioRun) -> None:
    batch_id = hold_until_polled(scenario, "e2e_cleared")
    acted = time.monotonic()
    cleared = scenario.api.clear(scenario.dag_id, scenario.run_id, "summarise")
    assert [ti["task_id"] for ti in cleared] == ["summarise"]

    # The new try reattaches to the batch and defers again; the old trigger's on_kill may run before
    # or after that (the triggerer drops it within seconds, the new try needs a worker first).
    scenario.wait("deferred", timeout=180, min_try=2)
    wait_for_on_kill(scenario, 1, acted, what=f"batch {batch_id}", status_of=batch_status(scenario, batch_id))
    batches = [(b["id"], b["status"]) for b in scenario.batches()]
    assert batches == [(batch_id, "in_progress")], f"after the clear the DAG's batches are {batches}"
    log = scenario.log(1)
    assert f"Not cancelling batch {batch_id}: " in log and "its next try takes the work over" in log, (
        "the old trigger says why it did not cancel"
    )
    scenario.emulator.release_batches()
    scenario.wait("success", timeout=180, min_try=2)
    assert_results(scenario, try_number=2)


def test_mark_success_while_waiting(scenario: ScenarioRun) -> None:
    batch_id = hold_until_polled(scenario, "e2e_marked_success")
    acted = time.monotonic()
    scenario.api.set_state(scenario.dag_id, scenario.run_id, "summarise", "success")
    wait_for_on_kill(scenario, 1, acted, what=f"batch {batch_id}", status_of=batch_status(scenario, batch_id))
    status = scenario.emulator.batch(batch_id)["status"]
    assert status == "in_progress", f"after mark success the batch is {status}"
    assert scenario.ti()["state"] == "success"
    assert len(scenario.batches()) == 1
    assert "Task failed with exception" not in scenario.log()
    assert f"Not cancelling batch {batch_id}: the task was marked success" in scenario.log()


def test_mark_failed_while_waiting_cancels_the_batch(scenario: ScenarioRun) -> None:
    """The one user action that really stops the task: its batch is cancelled, and the log says why."""
    batch_id = hold_until_polled(scenario, "e2e_marked_failed")
    scenario.api.set_state(scenario.dag_id, scenario.run_id, "summarise", "failed")
    deadline = time.monotonic() + 60
    while (status := scenario.emulator.batch(batch_id)["status"]) not in ("cancelling", "cancelled"):
        assert time.monotonic() < deadline, f"after mark failed the batch is still {status}"
        time.sleep(1)
    scenario.emulator.release_batches()
    assert scenario.ti()["state"] == "failed" and len(scenario.batches()) == 1
    log = scenario.log()
    assert f"Cancelling batch {batch_id}: the task was marked failed" in log


def test_api_outage_while_waiting(scenario: ScenarioRun) -> None:
    batch_id = hold_until_polled(scenario, "e2e_outage")
    before = scenario.emulator.requests("/v1/batches/*", "GET")
    scenario.emulator.fault("/v1/batches/*", method="GET", status=503, count=1_000_000)
    started = time.monotonic()
    released = False
    while (elapsed := time.monotonic() - started) < OUTAGE_SECONDS:
        if not released and elapsed > OUTAGE_SECONDS / 2:
            scenario.emulator.release_batches()  # it finishes during the outage; nobody can see it yet
            released = True
        state = scenario.ti()["state"]
        if state in TERMINAL_TI_STATES:
            log = scenario.log()
            raise AssertionError(
                f"after {elapsed:.0f}s of outage the task is {state}:\n" + "\n".join(log.splitlines()[-30:])
            )
        time.sleep(2)
    refused = scenario.emulator.requests("/v1/batches/*", "GET") - before
    scenario.emulator.clear_faults()
    scenario.note(f"{refused} status requests refused (503) during a {OUTAGE_SECONDS}s outage")
    assert refused > 0

    scenario.wait("success", timeout=240)
    assert_results(scenario)
    assert scenario.emulator.batch(batch_id)["status"] == "completed"

    # Each refused poll is one warning in the task log (the triggerer writes the trigger's lines there),
    # saying what failed and how much of the outage budget is left; the HTTP client does not retry polls.
    entries = scenario.log_entries()
    failed = [e for e in entries if f"Polling batch {batch_id} failed (" in str(e.get("event", ""))]
    scenario.note(f"{len(failed)} 'Polling batch {batch_id} failed' lines for {refused} refused polls")
    assert abs(len(failed) - refused) <= POLL_SLACK, (
        f"{refused} polls were refused, but the log has {len(failed)} 'Polling batch ... failed' lines:\n"
        + "\n".join(str(e.get("event")) for e in failed)
    )
    assert all(str(e.get("level", "")).lower() in ("warning", "warn") for e in failed), [
        (e.get("level"), e.get("event")) for e in failed
    ]
    assert all("outage budget left" in str(e.get("event")) for e in failed)
    retried = [
        f"{e.get('level')} {e.get('event')}"
        for e in entries
        if "retry 1 of" in str(e.get("event", ""))
        and (
            str(e.get("level", "")).lower() in ("warning", "warn")
            or f"/batches/{batch_id}" in str(e.get("event", ""))
        )
    ]
    assert not retried, f"status polls were retried by the HTTP client: {retried}"


def event_line(job_id: str, event: dict[str, Any]) -> str:
    """How an event the emulator lists should read in the task log."""
    at = time.strftime("%H:%M:%S", time.gmtime(event["created_at"]))
    return f"[{job_id} {at} {event['level']}] {event['message']}"


def logged_events(entries: list[dict[str, Any]]) -> list[str]:
    """The event lines of one try's log, as `event_line` words them."""
    found = []
    for entry in entries:
        match = EVENT_LINE.search(str(entry.get("event", "")))
        if match:
            found.append(match.group(0))
    return found


def fine_tuning_of(run: ScenarioRun) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The fine-tuning jobs and the uploaded training files this scenario's DAG run made: files by
    their upload name (the task, then a digest of its DAG, run, task and map index; see
    `fine_tuning.staging`), jobs by the DAG's suffix or by a training file among those."""
    whose = "\0".join((run.dag_id, run.run_id, run.task_id, "-1"))
    digest = hashlib.sha256(whose.encode()).hexdigest()[:8]
    files = [
        f
        for f in run.emulator.files("fine-tune")
        if str(f.get("filename", "")).startswith(f"{run.task_id}-training-{digest}-")
    ]
    file_ids = {f["id"] for f in files}
    jobs = [
        job
        for job in run.emulator.fine_tuning_jobs()
        if job.get("user_provided_suffix") == FINE_TUNING_SUFFIX or job["training_file"] in file_ids
    ]
    return jobs, files


def test_clearing_a_deferred_fine_tuning_job_logs_each_event_once(scenario: ScenarioRun) -> None:
    """A fine-tuning task cleared while deferred: its next try reattaches to the same job (no second
    upload, no second job, nothing cancelled), and across both tries every event of the job is
    logged exactly once (the worker logs them from the cursor in the task state store)."""
    emulator = scenario.emulator
    emulator.hold_fine_tuning()  # the emulated clock stands still: the job moves only when told to
    scenario.start(FINE_TUNING_DAG_ID, FINE_TUNING_TASK_ID)
    scenario.wait("deferred", timeout=180)
    jobs, files = fine_tuning_of(scenario)
    assert len(jobs) == 1, f"expected one fine-tuning job once deferred, found {[j['id'] for j in jobs]}"
    job_id = jobs[0]["id"]
    status_path = f"/v1/fine_tuning/jobs/{job_id}"
    polls = wait_for_requests(scenario, status_path, 0, timeout=60)

    # Try 1 is deferred: the job starts and trains 15 of its 36 steps (a metrics event, a checkpoint).
    emulator.force_fine_tuning(job_id, "running")
    emulator.advance(15 * STEP_SECONDS)
    wait_for_requests(scenario, status_path, polls, timeout=60)
    events_before = emulator.fine_tuning_events(job_id)
    assert emulator.fine_tuning_job(job_id)["status"] == "running"
    assert len(events_before) >= 5, f"the held job emitted only {[e['message'] for e in events_before]}"

    acted = time.monotonic()
    cleared = scenario.api.clear(scenario.dag_id, scenario.run_id, FINE_TUNING_TASK_ID)
    assert [ti["task_id"] for ti in cleared] == [FINE_TUNING_TASK_ID]
    scenario.wait("deferred", timeout=180, min_try=2)
    wait_for_on_kill(
        scenario,
        1,
        acted,
        what=f"fine-tuning job {job_id}",
        status_of=lambda: str(emulator.fine_tuning_job(job_id)["status"]),
    )

    # Try 2 is deferred: ten more steps (another metrics event and checkpoint), then the job runs to the end.
    polls = emulator.requests(status_path, "GET")
    emulator.advance(10 * STEP_SECONDS)
    wait_for_requests(scenario, status_path, polls, timeout=60)
    emulator.release_fine_tuning()
    scenario.wait("success", timeout=180, min_try=2)

    job = emulator.fine_tuning_job(job_id)
    events = emulator.fine_tuning_events(job_id)
    assert job["status"] == "succeeded", f"the job ended {job['status']}"
    assert not [e for e in events if "cancel" in e["message"].lower()], "the job was cancelled"
    logs = {number: scenario.log_entries(number) for number in (1, 2)}
    texts = {number: scenario.log(number) for number in (1, 2)}
    lines = {number: logged_events(entries) for number, entries in logs.items()}
    scenario.note(
        f"{len(events)} events ({len(events_before)} before the clear); event lines: "
        f"try 1 {len(lines[1])}, try 2 {len(lines[2])}"
    )
    expected = Counter(event_line(job_id, e) for e in events)
    logged = Counter(lines[1] + lines[2])
    missing, repeated_or_unknown = expected - logged, logged - expected
    assert not missing and not repeated_or_unknown, (
        f"events not logged: {sorted(missing)}; logged more than once, or not the job's: "
        f"{sorted(repeated_or_unknown)}"
    )
    assert set(logged.values()) == {1}

    assert f"Not cancelling fine-tuning job {job_id}: " in texts[1], (
        "the old trigger says why it did not cancel"
    )
    assert f"Fine-tuning job {job_id} is running" in texts[1], "the trigger logs the job's status"
    for number, text in texts.items():
        assert f"Cancelling fine-tuning job {job_id}" not in text, f"try {number} cancelled the job"
        assert "Cancelled fine-tuning job" not in text, f"try {number} cancelled the job"
    assert f"Reattaching to fine-tuning job {job_id}" in texts[2], "try 2 took the job over"

    jobs, files = fine_tuning_of(scenario)
    scenario.note(f"fine-tuning jobs: {len(jobs)}, training files: {len(files)}")
    assert [j["id"] for j in jobs] == [job_id], f"the DAG's fine-tuning jobs: {[j['id'] for j in jobs]}"
    assert [f["id"] for f in files] == [job["training_file"]], f"the DAG's training files: {files}"

    result = scenario.manifest()
    assert (result["job_id"], result["status"]) == (job_id, "succeeded")
    assert result["fine_tuned_model"] == job["fine_tuned_model"]
    output = scenario.deployment.results_dir / FINE_TUNING_DAG_ID / scenario.run_id
    assert str(result["metrics_path"]).startswith(str(output)), result["metrics_path"]


def deployment_outputs(deployment: Deployment) -> list[Path]:
    """Every file under the deployment's home: component and task logs, the results, the metadata
    DB (and its WAL), airflow.cfg, the DAGs. Not the token file (it holds the subject token by
    design), nor the emulator's data directory: that is the remote side's storage (the issuer keeps
    its tokens), not an output of the deployment."""
    remote = deployment.home / "emulator"
    return sorted(
        path
        for path in deployment.home.rglob("*")
        if path.is_file() and path != deployment.token_file and remote not in path.parents
    )


def where_in(path: Path, data: bytes, needle: bytes) -> str:
    """Where in a file `needle` is, without repeating it: in a SQLite DB (or its WAL) the tables,
    columns and row ids; elsewhere the line numbers, each with the text around it, needle masked."""
    db = path.with_name(path.name.removesuffix("-wal").removesuffix("-journal"))
    if data.startswith(b"SQLite format 3\0") or (db != path and db.exists()):
        return where_in_sqlite(db, needle)
    places = []
    for number, line in enumerate(data.splitlines(), 1):
        at = line.find(needle)
        if at >= 0:
            text = line[max(0, at - 160) : at + 160].replace(needle, b"<FOUND>")
            places.append(f"line {number}: ...{text.decode(errors='replace')}...")
    return "; ".join(places[:5]) + (f" (and {len(places) - 5} more lines)" if len(places) > 5 else "")


def where_in_sqlite(db: Path, needle: bytes) -> str:
    """The tables and columns of a SQLite DB whose live rows hold `needle`."""
    found = []
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for column in [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]:
                query = f'SELECT rowid FROM "{table}" WHERE instr(CAST("{column}" AS BLOB), ?) > 0'
                rows = [row[0] for row in conn.execute(query, (needle,))]
                if rows:
                    found.append(f"{table}.{column} (rowids {rows[:10]})")
    return "rows: " + ", ".join(found) if found else "in no live row (a freed page, or the WAL's old frames)"


def leaks(sources: dict[str, bytes], needles: dict[str, bytes], files: dict[str, Path]) -> list[str]:
    """`what holds which needle, where` for each source (a name and its bytes) holding one."""
    found = []
    for name, data in sources.items():
        for what, needle in needles.items():
            if needle in data:
                place = where_in(files[name], data, needle) if name in files else ""
                found.append(f"{what} in {name}" + (f": {place}" if place else ""))
    return found


def read_outputs(deployment: Deployment) -> tuple[dict[str, bytes], dict[str, Path]]:
    """The deployment's outputs (`deployment_outputs`) by their path in the home, and their paths."""
    sources, files = {}, {}
    for path in deployment_outputs(deployment):
        name = str(path.relative_to(deployment.home))
        with contextlib.suppress(FileNotFoundError):  # a file rotated or removed since the listing
            sources[name] = path.read_bytes()
            files[name] = path
    return sources, files


def trigger_kwargs(deployment: Deployment) -> list[bytes]:
    """The kwargs of every trigger row in the metadata DB, decrypted: Airflow encrypts them with the
    deployment's Fernet key (in airflow.cfg), so the raw bytes of the DB cannot show them."""
    config = configparser.RawConfigParser()
    config.read(deployment.home / "airflow.cfg")
    fernet = Fernet(config.get("core", "fernet_key").encode())
    with contextlib.closing(
        sqlite3.connect(f"file:{deployment.home / 'airflow.db'}?mode=ro", uri=True)
    ) as db:
        rows = [row[0] for row in db.execute("SELECT kwargs FROM trigger")]
    return [row.encode() if row.startswith("{") else fernet.decrypt(row.encode()) for row in rows]


def issued_access_tokens(deployment: Deployment) -> list[str]:
    """Every access token the emulator issued, read from its store (the issuer's side)."""
    store = deployment.home / "emulator" / "emulator.sqlite3"
    with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as db:
        return [row[0] for row in db.execute("SELECT id FROM objects WHERE kind = 'access_token'")]


def count_in_files(paths: list[Path], line: str) -> int:
    return sum(path.read_text(errors="replace").count(line) for path in paths)


def test_keyless_auth_outlives_its_access_tokens(scenario: ScenarioRun) -> None:
    """A deferrable batch on the keyless `openai_wif` connection (workload identity: a Kubernetes
    token file exchanged at the emulator for access tokens living 3 s), held for 20 s while the
    triggerer polls: its tokens are refreshed in the triggerer (the async path), before they expire,
    and the worker exchanges its own when it resumes for the results. Then every output of the
    deployment (its files, the metadata DB, the trigger's kwargs, what the REST API shows) is
    searched for the subject token and for any access token."""
    deployment, emulator = scenario.deployment, scenario.emulator
    emulator.configure_identity(IDENTITY_PROVIDER_ID, SERVICE_ACCOUNT_ID, TOKEN_LIFETIME_SECONDS)
    issued_before = emulator.identity()["tokens_issued"]
    batch_id = hold_until_polled(scenario, WIF_DAG_ID)

    # While deferred: the trigger's row (its kwargs, decrypted), the task instance and the metadata DB
    # (the trigger row goes once it fires); searched for the subject token now, for access tokens below.
    seen: dict[str, bytes] = {"GET task instance (deferred)": json.dumps(scenario.ti()).encode()}
    kwargs = trigger_kwargs(deployment)
    assert len(kwargs) == 1 and WIF_CONN_ID.encode() in kwargs[0] and batch_id.encode() in kwargs[0], (
        f"expected the one trigger of {batch_id} on {WIF_CONN_ID}, read {len(kwargs)} trigger rows"
    )
    seen["trigger.kwargs (decrypted, while deferred)"] = kwargs[0]
    outputs, files = read_outputs(deployment)
    database = {name: data for name, data in outputs.items() if name.startswith("airflow.db")}
    assert database, f"no metadata DB among {sorted(outputs)}"
    prefix_and_subject = {
        "the subject token": deployment.subject_token.encode(),
        f"an access token ({ACCESS_TOKEN_PREFIX}...)": ACCESS_TOKEN_PREFIX.encode(),
    }
    found = [f"{leak} (while deferred)" for leak in leaks(database, prefix_and_subject, files)]

    issued_deferred = emulator.identity()["tokens_issued"]
    polls_deferred = emulator.requests(f"/v1/batches/{batch_id}", "GET")
    held = time.monotonic()
    while (waited := time.monotonic() - held) < WIF_WAIT_SECONDS:
        state = scenario.ti()["state"]
        if state != "deferred":
            tail = "\n".join(scenario.log().splitlines()[-30:])
            raise AssertionError(f"{waited:.0f}s into the held wait the task is {state}:\n{tail}")
        time.sleep(2)
    in_triggerer = emulator.identity()["tokens_issued"] - issued_deferred
    polled = emulator.requests(f"/v1/batches/{batch_id}", "GET") - polls_deferred
    emulator.release_batches()
    scenario.wait("success", timeout=180)
    assert_results(scenario)
    assert f"Results: {PROMPTS} succeeded, 0 failed of {PROMPTS}" in scenario.log()

    # Tokens: refreshed in the triggerer while it waited, and exchanged afresh by the resumed worker.
    issued = emulator.identity()["tokens_issued"] - issued_before
    task_logs = sorted(
        path
        for path in (deployment.home / "logs" / f"dag_id={WIF_DAG_ID}").rglob("*")
        if path.is_file() and f"run_id={scenario.run_id}" in str(path)
    )
    trigger_logs = [path for path in task_logs if ".trigger." in path.name]
    worker_logs = [path for path in task_logs if ".trigger." not in path.name]
    assert trigger_logs and worker_logs, f"the task's log files: {task_logs}"
    in_trigger_logs = count_in_files(trigger_logs, EXCHANGED_LINE)
    worker_text = "\n".join(path.read_text(errors="replace") for path in worker_logs)
    after_resuming = worker_text.rpartition(DEFERRED_LINE)[2].count(EXCHANGED_LINE)
    refused = count_in_files(task_logs, REFUSED_LINE)
    scenario.note(
        f"access tokens issued: {issued}, {in_triggerer} of them during the {WIF_WAIT_SECONDS}s held wait "
        f"({polled} polls; lifetime {TOKEN_LIFETIME_SECONDS}s); exchanges logged: triggerer "
        f"{in_trigger_logs}, worker {worker_text.count(EXCHANGED_LINE)} ({after_resuming} after resuming)"
    )
    scenario.note(f"401s (tokens refused, a new one exchanged): {refused}")
    assert issued > 1 and in_triggerer >= 2 and in_trigger_logs >= 2, (
        f"{issued} access tokens for the run, {in_triggerer} issued while the triggerer waited "
        f"{WIF_WAIT_SECONDS}s on {TOKEN_LIFETIME_SECONDS}s tokens, {in_trigger_logs} exchanges in its log: "
        "the triggerer did not refresh them"
    )
    assert DEFERRED_LINE in worker_text and after_resuming >= 1, (
        "the worker that resumed for the results exchanged no token of its own"
    )
    assert refused <= MAX_REFUSED, f"{refused} requests were refused (401) for their access token"

    # The canary search: the subject token, and any access token (by its prefix, and each one whole).
    tokens = issued_access_tokens(deployment)
    assert len(tokens) >= issued and all(t.startswith(ACCESS_TOKEN_PREFIX) for t in tokens)
    needles = {
        **prefix_and_subject,
        **{
            f"access token #{n} (without its prefix)": token[len(ACCESS_TOKEN_PREFIX) :].encode()
            for n, token in enumerate(tokens, 1)
        },
    }
    remote = b"".join(path.read_bytes() for path in (deployment.home / "emulator").glob("emulator.sqlite3*"))
    assert ACCESS_TOKEN_PREFIX.encode() in remote, (
        "the emulator's store holds no access token as raw bytes: a raw search of a SQLite file would miss one"
    )
    api, base = scenario.api, f"/dags/{scenario.dag_id}/dagRuns/{scenario.run_id}"
    ti = scenario.ti()
    assert ti["rendered_fields"], "the API shows no rendered fields"
    seen |= {
        "GET task instance (rendered fields)": json.dumps(ti).encode(),
        "GET task instance tries": json.dumps(
            api.get(f"{base}/taskInstances/{scenario.task_id}/tries")
        ).encode(),
        "GET XCom entries": json.dumps(
            api.xcom_entries(scenario.dag_id, scenario.run_id, scenario.task_id)
        ).encode(),
        "GET task log (try 1)": json.dumps(scenario.log_entries(1)).encode(),
        "GET DAG run": json.dumps(api.get(base)).encode(),
        "GET event log": json.dumps(api.get("/eventLogs", dag_id=scenario.dag_id, limit=100)).encode(),
    }
    assert EXCHANGED_LINE.encode() in seen["GET task log (try 1)"], "the API's task log lacks the exchanges"
    outputs, files = read_outputs(deployment)
    assert any(name.startswith("results/") for name in outputs), f"no results among {sorted(outputs)}"
    found += leaks({**seen, **outputs}, needles, files)
    scenario.note(
        f"searched {len(outputs)} files under AIRFLOW_HOME, the metadata DB while deferred, the trigger's "
        f"kwargs and {len(seen) - 1} API answers for {len(needles)} secrets: {len(found)} found"
    )
    assert not found, "secrets found in the deployment's outputs:\n" + "\n".join(found)


def test_no_key_in_any_log(deployment: Deployment) -> None:
    """After every scenario: the API key is in no component log, task log or trigger log."""
    logs = [path for path in (deployment.home / "logs").rglob("*") if path.is_file()]
    assert logs
    leaks = [str(path) for path in logs if PROJECT_KEY.encode() in path.read_bytes()]
    assert not leaks, f"the API key appears in {leaks}"
