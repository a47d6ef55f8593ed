"""Session-wide test setup: one private Airflow home with a file-based SQLite DB, shared servers,
and a guard that no API key ever reaches a log record.

Environment variables are set at import time, before anything imports airflow.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_HOME = Path(tempfile.mkdtemp(prefix="airflow-openai-tests-"))
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_HOME / 'airflow.db'}"
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(_HOME / "dags")
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
for name in ("OPENAI_API_KEY", "OPENAI_ADMIN_KEY", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_BASE_URL"):
    os.environ.pop(name, None)
(_HOME / "dags").mkdir()

from tests.support.keys import ADMIN_KEY, PROJECT_KEY  # noqa: E402
from tests.support.scripted_server import ScriptedServer  # noqa: E402

pytest_plugins = ["airflow_openai.emulator.pytest_plugin"]

SECRETS = (PROJECT_KEY, ADMIN_KEY)


class _Recorder:
    """Sees every stdlib log record at creation, whatever handlers Airflow's logging config installs later."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._previous = logging.getLogRecordFactory()

    def __call__(self, *args: object, **kwargs: object) -> logging.LogRecord:
        record = self._previous(*args, **kwargs)
        with contextlib.suppress(Exception):  # a malformed record is not ours to judge
            self.lines.append(record.getMessage())
        return record

    def install(self) -> None:
        logging.setLogRecordFactory(self)

    def remove(self) -> None:
        logging.setLogRecordFactory(self._previous)


@pytest.fixture(scope="session", autouse=True)
def no_secret_in_logs() -> Iterator[_Recorder]:
    """Every log record of the whole run, at any level, is checked for the test keys when the session ends."""
    recorder = _Recorder()
    recorder.install()
    yield recorder
    recorder.remove()
    leaks = [line for line in recorder.lines if any(secret in line for secret in SECRETS)]
    assert not leaks, f"API keys appeared in {len(leaks)} log lines, e.g. {leaks[0][:200]!r}"


@pytest.fixture(scope="session")
def scripted_server() -> Iterator[ScriptedServer]:
    server = ScriptedServer().start()
    yield server
    server.stop()


@pytest.fixture
def server(scripted_server: ScriptedServer) -> Iterator[ScriptedServer]:
    """The shared scripted server, emptied before each test."""
    scripted_server.reset()
    yield scripted_server
    scripted_server.reset()


_dag_names = itertools.count()


@pytest.fixture
def emu(openai_emulator_clean):
    """The session's emulator, emptied for this test; `AIRFLOW_CONN_OPENAI_DEFAULT` points at it."""
    return openai_emulator_clean


@pytest.fixture
def emu_hook(emu):
    """A hook on the emulator with explicit settings (no Airflow connection involved)."""
    from airflow_openai.client.settings import ClientSettings
    from airflow_openai.hooks.openai import OpenAIHook

    with OpenAIHook(
        settings=ClientSettings(api_key=emu.api_key, base_url=emu.base_url, source="emulator")
    ) as hook:
        yield hook


@pytest.fixture
def new_dag():
    """A fresh DAG with a unique id (the metadata DB is shared by the session)."""
    import pendulum
    from airflow.sdk import DAG

    def make(**kwargs):
        return DAG(
            f"test_dag_{next(_dag_names)}", schedule=None, start_date=pendulum.datetime(2026, 1, 1), **kwargs
        )

    return make


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """A migrated metadata DB, created once per session for the tests that run DAGs."""
    from tests.support.dag_runner import reset_metadata_db

    reset_metadata_db()
