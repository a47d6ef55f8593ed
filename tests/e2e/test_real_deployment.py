"""The batch operator on a real Airflow deployment: what a user does, and what they then see.

Each scenario triggers its own DAG through the REST API (no logical date), disturbs the
deferred wait the way a user or an outage would, and checks the task state, the XCom
manifest, the results file and the batches left on the OpenAI side (counted on the
emulator). The stack is started once for the session (see conftest.py); scenarios run
in file order, one at a time.
"""

from __future__ import annotations

import time

import pytest

from airflow_openai.emulator.server import PROJECT_KEY
from tests.e2e.airflow_api import TERMINAL_TI_STATES
from tests.e2e.deployment import Deployment
from tests.e2e.scenario import ScenarioRun

pytestmark = pytest.mark.e2e

PROMPTS = 200
ON_KILL_LINE = "Trigger cancelled by user action"
"""What Airflow logs (in the task's log) when it ends a deferral and calls the trigger's on_kill."""
OUTAGE_SECONDS = 100
"""Real seconds without a successful poll: well past the wait's old give-up point (10 failed polls,
about 38 s) and 100 emulated minutes on the emulator's clock."""


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


def wait_for_polls(run: ScenarioRun, batch_id: str, more_than: int, timeout: float) -> int:
    """Until the emulator has seen more than `more_than` status requests for the batch: the trigger is polling."""
    deadline = time.monotonic() + timeout
    while (seen := run.emulator.requests(f"/v1/batches/{batch_id}", "GET")) <= more_than:
        if time.monotonic() > deadline:
            raise run.api.fail(f"no poll of {batch_id} beyond {more_than} within {timeout:.0f}s")
        time.sleep(0.5)
    return seen


def wait_for_on_kill(
    run: ScenarioRun, try_number: int, batch_id: str, since: float, timeout: float = 30
) -> None:
    """Until Airflow has run the old trigger's `on_kill` (its log says so), checking all the while
    that the batch is not being cancelled; `since` is when the user acted (monotonic)."""
    deadline = time.monotonic() + timeout
    while True:
        status = run.emulator.batch(batch_id)["status"]
        assert status not in ("cancelling", "cancelled"), f"batch {batch_id} was cancelled"
        if ON_KILL_LINE in run.log(try_number):
            run.note(f"the old trigger's on_kill was logged {time.monotonic() - since:.0f}s after the action")
            time.sleep(2)  # what on_kill does comes right after the line
            return
        if time.monotonic() > deadline:
            run.note(f"Airflow logged no on_kill for try {try_number} within {timeout:.0f}s")
            return
        time.sleep(1)


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
    wait_for_on_kill(scenario, 1, batch_id, acted)
    batches = [(b["id"], b["status"]) for b in scenario.batches()]
    assert batches == [(batch_id, "in_progress")], f"after the clear the DAG's batches are {batches}"
    assert "its next try takes the work over" in scenario.log(1), "the old trigger says why it did not cancel"
    scenario.emulator.release_batches()
    scenario.wait("success", timeout=180, min_try=2)
    assert_results(scenario, try_number=2)


def test_mark_success_while_waiting(scenario: ScenarioRun) -> None:
    batch_id = hold_until_polled(scenario, "e2e_marked_success")
    acted = time.monotonic()
    scenario.api.set_state(scenario.dag_id, scenario.run_id, "summarise", "success")
    wait_for_on_kill(scenario, 1, batch_id, acted)
    status = scenario.emulator.batch(batch_id)["status"]
    assert status == "in_progress", f"after mark success the batch is {status}"
    assert scenario.ti()["state"] == "success"
    assert len(scenario.batches()) == 1
    assert "Task failed with exception" not in scenario.log()
    assert "Not cancelling batches" in scenario.log() and "marked success" in scenario.log()


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
    assert "Cancelling batches" in log and "marked failed" in log


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


def test_no_key_in_any_log(deployment: Deployment) -> None:
    """After every scenario: the API key is in no component log, task log or trigger log."""
    logs = [path for path in (deployment.home / "logs").rglob("*") if path.is_file()]
    assert logs
    leaks = [str(path) for path in logs if PROJECT_KEY.encode() in path.read_bytes()]
    assert not leaks, f"the API key appears in {leaks}"
