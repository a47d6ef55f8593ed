"""Pytest fixtures for DAG authors' own tests: ``pytest_plugins = ["airflow_openai.emulator.pytest_plugin"]``.

``openai_emulator`` is one emulator for the whole test session; ``openai_emulator_clean``
hands it over emptied (objects, faults, clock speed) for each test. Both point
``AIRFLOW_CONN_OPENAI_DEFAULT`` at the emulator so hooks and operators find it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from airflow_openai.emulator.server import DEFAULT_SPEED, Emulator


@pytest.fixture(scope="session")
def openai_emulator() -> Iterator[Emulator]:
    with Emulator() as emulator:
        previous = os.environ.get("AIRFLOW_CONN_OPENAI_DEFAULT")
        os.environ["AIRFLOW_CONN_OPENAI_DEFAULT"] = json.dumps(emulator.connection())
        try:
            yield emulator
        finally:
            if previous is None:
                os.environ.pop("AIRFLOW_CONN_OPENAI_DEFAULT", None)
            else:
                os.environ["AIRFLOW_CONN_OPENAI_DEFAULT"] = previous


@pytest.fixture
def openai_emulator_clean(openai_emulator: Emulator) -> Iterator[Emulator]:
    openai_emulator.reset()
    openai_emulator.set_speed(DEFAULT_SPEED)
    yield openai_emulator
    openai_emulator.clear_faults()
    openai_emulator.rate_limit(None)
