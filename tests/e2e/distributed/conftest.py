"""The distributed deployment, started once for the session, and a summary of every scenario at the end.

Marked `e2e` like the single-machine profile, so the default run deselects them; `make e2e` ignores
this folder and `make e2e-distributed` runs it, in .venv-dist (the celery and amazon providers,
moto). Elsewhere (the locked .venv has neither provider) the scenarios are skipped, saying so.
`E2E_KEEP_HOME=1` keeps the run's folder (component logs, each worker's home, the DB's data).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.e2e.distributed.summary import Record

if TYPE_CHECKING:
    from tests.e2e.distributed.deployment import DistributedDeployment

DAG_IDS = [
    "example_openai_batch",
    "example_openai_batch_results",
    "dist_vector_store",
    "dist_fine_tuning",
    "dist_worker_killed",
    "dist_triggerer_killed",
]
"""Parsed and unpaused at start-up; `dist_audit_logs` stays paused until its scenario has written its hours."""
NEEDED = ("airflow.providers.celery", "airflow.providers.amazon", "moto", "psycopg2")


_records: list[Record] = []
_session: dict[str, object] = {}
_REPORT = pytest.StashKey[pytest.TestReport]()


def _missing() -> list[str]:
    return [name for name in NEEDED if not _has(name)]


def _has(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = _missing()
    if not missing:
        return
    skip = pytest.mark.skip(reason=f"needs {missing}: run `make e2e-distributed` (.venv-dist)")
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_REPORT] = report


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def dist() -> Iterator[DistributedDeployment]:
    """PostgreSQL, Redis, S3, the emulator, the control plane and two workers, stopped however the
    session ends (SIGTERM becomes an interrupt so teardown runs)."""
    from tests.e2e.distributed.deployment import DistributedDeployment

    previous = signal.signal(signal.SIGTERM, _interrupted)
    stack = DistributedDeployment(keep_home=bool(os.environ.get("E2E_KEEP_HOME")))
    started = time.monotonic()
    _session["started"] = started
    try:
        stack.start(DAG_IDS)
        _session["startup"] = stack.startup_seconds
        _session["isolation"] = stack.isolation
        _session["installed"] = stack.installed
        print(f"\ndistributed deployment up in {stack.startup_seconds:.0f}s, run folder {stack.home}")
        yield stack
    finally:
        stack.stop()
        _session["total"] = time.monotonic() - started
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture
def record(request: pytest.FixtureRequest, dist: DistributedDeployment) -> Iterator[Record]:
    """A scenario on a calm emulator (no faults, batches at the default pace), timed."""
    dist.check_alive()
    dist.emulator.clear_faults()
    dist.emulator.release_batches()
    entry = Record(name=request.node.name)
    started = time.monotonic()
    try:
        yield entry
    finally:
        entry.seconds = time.monotonic() - started
        dist.emulator.clear_faults()
        dist.emulator.release_batches()
        report = request.node.stash.get(_REPORT, None)
        entry.outcome = "unfinished" if report is None else report.outcome
        crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
        if crash is not None:
            entry.notes.append("why: " + crash.message.splitlines()[0][:200])
        _records.append(entry)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _records:
        return
    write = terminalreporter.write_line
    terminalreporter.section("e2e scenarios on the distributed deployment")
    if "startup" in _session:
        write(
            f"start-up: {_session['startup']:.0f}s; workers kept apart by: {'; '.join(_session['isolation'])}"
        )  # type: ignore[arg-type]
    if _session.get("installed"):
        write(f"installed with apt-get: {', '.join(_session['installed'])}")  # type: ignore[arg-type]
    for entry in _records:
        write(f"{entry.name:<58} {entry.outcome:<8} {entry.seconds:6.0f}s  {'; '.join(entry.remote)}")
        for note in entry.notes:
            write(f"    {note}")
    if "total" in _session:
        write(f"deployment up to down: {_session['total']:.0f}s")
