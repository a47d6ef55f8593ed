"""OpenLineage events in tests: run DAGs with the provider writing to a file, read the events back,
and check them against the RunEvent schema of spec 2-0-2 and our `openai` facet's schema.

The openlineage-python wheel ships the spec's facets as attrs classes, not its JSON schema, so
`openlineage_event_schema.json` (next to this file) states the RunEvent as spec 2-0-2 defines it
and is registered under the spec's URI: `OpenAIRunFacet.json`'s `$ref` to
`https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet` resolves to it. A copy of
the real `OpenLineage.json` can stand in for it (`OPENLINEAGE_SPEC`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SPEC_URI = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
EVENT_SCHEMA_PATH = Path(__file__).with_name("openlineage_event_schema.json")
FACET_SCHEMA_ID = (
    "https://raw.githubusercontent.com/airflow-provider-openai/airflow-provider-openai/main/"
    "src/airflow_openai/lineage/OpenAIRunFacet.json"
)
REPO_ROOT = Path(__file__).resolve().parents[2]
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


# -- schemas ------------------------------------------------------------------------------------------


def event_schema() -> dict[str, Any]:
    return json.loads(EVENT_SCHEMA_PATH.read_text())


def facet_schema() -> dict[str, Any]:
    return json.loads(resources.files("airflow_openai.lineage").joinpath("OpenAIRunFacet.json").read_text())


def format_checker() -> Any:
    """jsonschema's checkers, plus `uri` and `date-time` (their own need packages we do not install)."""
    from jsonschema import FormatChecker

    checker = FormatChecker()

    @checker.checks("uri")
    def is_uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        split = urlsplit(value)
        return bool(split.scheme) and bool(split.netloc or split.path) and not re.search(r"\s", value)

    @checker.checks("date-time", raises=ValueError)
    def is_date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        return bool(RFC3339.match(value)) and datetime.fromisoformat(value.replace("z", "Z")) is not None

    return checker


def event_validator(spec: dict[str, Any] | None = None) -> Any:
    """Validates a whole event against `spec` (our statement of 2-0-2 unless a real copy is given)."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(spec or event_schema(), format_checker=format_checker())


def facet_validator(spec: dict[str, Any] | None = None) -> Any:
    """Validates an `openai` facet against `OpenAIRunFacet.json#/$defs/OpenAIRunFacet`, its RunFacet
    `$ref` resolved through a registry that holds `spec` under the spec's URI."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resources(
        [
            (SPEC_URI, Resource.from_contents(spec or event_schema(), default_specification=DRAFT202012)),
            (FACET_SCHEMA_ID, Resource.from_contents(facet_schema(), default_specification=DRAFT202012)),
        ]
    )
    return Draft202012Validator(
        {"$ref": f"{FACET_SCHEMA_ID}#/$defs/OpenAIRunFacet"},
        registry=registry,
        format_checker=format_checker(),
    )


def problems(validator: Any, instance: Any) -> list[str]:
    """Every schema violation in `instance`, one line each (empty: valid)."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in validator.iter_errors(instance)
    ]


# -- events -------------------------------------------------------------------------------------------


def read_events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def datasets(event: dict[str, Any], side: str) -> set[tuple[str, str]]:
    """The (namespace, name) pairs of an event's `inputs` or `outputs`."""
    return {(d["namespace"], d["name"]) for d in event.get(side) or []}


@dataclass
class LineageRuns:
    """What one run of `tests.support.openlineage_runs` left: the events and each DAG run's record."""

    events: list[dict[str, Any]]
    results: dict[str, Any]
    tmp: Path
    log: str
    """The runner's stdout and stderr."""
    raw: str = field(repr=False, default="")
    """The events file as written."""

    def task_events(self, case: str, task_id: str) -> dict[str, list[dict[str, Any]]]:
        """The events of task `task_id` in DAG run `case`, by event type."""
        record = self.results[case]
        name = f"{record['dag_id']}.{task_id}"
        found: dict[str, list[dict[str, Any]]] = {}
        for event in self.events:
            if event["job"]["name"] == name and self._run_of(event) == record["run_id"]:
                found.setdefault(event["eventType"], []).append(event)
        return found

    @staticmethod
    def _run_of(event: dict[str, Any]) -> str | None:
        """The Airflow run id an event's `airflow` run facet names (None without one)."""
        airflow = event["run"].get("facets", {}).get("airflow") or {}
        return (airflow.get("dagRun") or {}).get("run_id")

    def xcom(self, case: str, task_id: str) -> Any:
        return self.results[case]["xcom"][task_id]

    def states(self, case: str) -> dict[str, str]:
        return self.results[case]["states"]

    def openai_facets(self) -> Iterator[dict[str, Any]]:
        for event in self.events:
            facet = event["run"].get("facets", {}).get("openai_run")
            if facet is not None:
                yield facet


def run_dags_with_file_transport(
    tmp: Path, *, emulator_url: str, connection: dict[str, Any], namespace: str, timeout: float = 300
) -> LineageRuns:
    """Run `tests.support.openlineage_runs` in a new process with the OpenLineage provider writing
    every event, one JSON object a line, to `tmp/events.jsonl`."""
    events = tmp / "events.jsonl"
    plan = tmp / "plan.json"
    results = tmp / "results.json"
    plan.write_text(json.dumps({"tmp": str(tmp), "emulator_url": emulator_url, "results": str(results)}))
    env = {
        **os.environ,
        "AIRFLOW_CONN_OPENAI_DEFAULT": json.dumps(connection),
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "file", "log_file_path": str(events), "append": True}
        ),
        "AIRFLOW__OPENLINEAGE__NAMESPACE": namespace,
        "AIRFLOW__OPENLINEAGE__DISABLED": "False",
        "AIRFLOW__OPENAI__OUTPUT_ROOT": f"file://{tmp}/shared",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.openlineage_runs", str(plan)],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    log = done.stdout + done.stderr
    if done.returncode != 0 or not results.exists():
        raise AssertionError(f"the DAG runs failed ({done.returncode}):\n{log[-4000:]}")
    raw = events.read_text() if events.exists() else ""
    return LineageRuns(
        events=read_events(events) if raw else [],
        results=json.loads(results.read_text()),
        tmp=tmp,
        log=log,
        raw=raw,
    )
