"""The real deployment, started once for the e2e session, and a summary of every scenario at the end.

These tests take minutes: their module carries the `e2e` marker, which the default run
deselects (`-m "not e2e"` in pyproject's addopts); `make e2e` selects them. `E2E_KEEP_HOME=1` keeps
the temporary AIRFLOW_HOME (component logs, task logs, results) for a look afterwards.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from tests.e2e.deployment import Deployment
from tests.e2e.scenario import ScenarioRecord, ScenarioRun

SCENARIO_DAG_IDS = [
    "e2e_results",
    "e2e_triggerer_killed",
    "e2e_cleared",
    "e2e_marked_success",
    "e2e_marked_failed",
    "e2e_outage",
    "e2e_fine_tuning_cleared",
    "e2e_workload_identity",
    "e2e_assets",
    "e2e_assets_consumer",
]
_records: list[ScenarioRecord] = []
_startup: list[float] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_CALL_REPORT] = report


_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def deployment() -> Iterator[Deployment]:
    """Emulator + api-server + scheduler + dag-processor + triggerer, stopped however the session ends
    (SIGTERM is turned into an interrupt so teardown runs; Ctrl-C already is one)."""
    previous = signal.signal(signal.SIGTERM, _interrupted)
    stack = Deployment(keep_home=bool(os.environ.get("E2E_KEEP_HOME")))
    try:
        stack.start(SCENARIO_DAG_IDS)
        _startup.append(stack.startup_seconds)
        print(f"\ne2e deployment up in {stack.startup_seconds:.0f}s, AIRFLOW_HOME={stack.home}")
        yield stack
    finally:
        stack.stop()
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture
def scenario(request: pytest.FixtureRequest, deployment: Deployment) -> Iterator[ScenarioRun]:
    """A scenario on a calm emulator (no faults, batches at the default pace, the clock running),
    timed and counted."""
    deployment.check_alive()
    deployment.emulator.clear_faults()
    deployment.emulator.release_batches()
    deployment.emulator.release_fine_tuning()
    record = ScenarioRecord(name=request.node.name)
    run = ScenarioRun(deployment, record)
    started = time.monotonic()
    try:
        yield run
    finally:
        record.seconds = time.monotonic() - started
        deployment.emulator.clear_faults()
        deployment.emulator.release_batches()
        deployment.emulator.release_fine_tuning()
        if record.dag_id:
            record.batches = len(deployment.emulator.batches(record.dag_id))
        report = request.node.stash.get(_CALL_REPORT, None)
        record.outcome = _outcome(report)
        crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
        if crash is not None:
            record.notes.append("why: " + crash.message.splitlines()[0][:160])
        _records.append(record)


def _outcome(report: pytest.TestReport | None) -> str:
    if report is None:
        return "unfinished"
    if hasattr(report, "wasxfail"):
        return "xfailed" if report.skipped else "xpassed"
    return report.outcome


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _records:
        return
    write = terminalreporter.write_line
    terminalreporter.section("e2e scenarios on a real deployment")
    if _startup:
        write(f"start-up: {_startup[0]:.0f}s")
    for record in _records:
        batches = "?" if record.batches is None else record.batches
        write(f"{record.name:<48} {record.outcome:<8} {record.seconds:6.0f}s  batches: {batches}")
        for note in record.notes:
            write(f"    {note}")
