"""Run every example DAG, and one DAG whose batch task fails, with the OpenLineage provider on.

Run as ``python -m tests.support.openlineage_runs PLAN.json`` by `tests/lineage/test_openlineage_events.py`,
in a process of its own: the provider's plugin decides at import whether its listener is on and
its client keeps the transport it was first built with, so a process that has run DAGs without
lineage (any other test in the session) cannot be switched to a file transport. The caller sets
``AIRFLOW__OPENLINEAGE__TRANSPORT`` and the rest of the environment (the metadata DB, the
emulator's connection, ``AIRFLOW__OPENAI__OUTPUT_ROOT``); this script drives the emulator's clock
through its control plane and writes, to the plan's ``results`` file, each run's id, task states
and every task's XCom return value.

Small inputs throughout: one run per DAG, each a few seconds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx

FAILING_DAG_ID = "openlineage_failing_batch"
FAILING_OUTPUT = "failing.jsonl"
"""The file the failing batch writes its rows to before it fails (under the plan's `tmp`)."""


class Control:
    """The emulator's control plane (`/_emulator`), from outside the process that runs it."""

    def __init__(self, url: str) -> None:
        self.client = httpx.Client(base_url=f"{url}/_emulator", timeout=30)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.client.post(path, json=body)
        response.raise_for_status()
        return response.json()

    def now(self) -> float:
        return float(self.client.get("/clock").json()["now"])


def _fresh_hook_lineage_per_task() -> None:
    """Give each task attempt an empty hook lineage collector, as a worker does.

    A worker runs each task in a process of its own, so Airflow's hook lineage collector (a
    process-wide singleton that `ObjectStoragePath` reads and writes report to) starts empty;
    `dag.test()` runs every task of every DAG in this one process, where it would pile up.
    The OpenLineage provider falls back to it for a task whose own lineage names no dataset
    (a start event before the output path is known), so a pile-up would show other tasks' files.
    """
    from airflow.sdk import lineage
    from airflow.sdk.execution_time import task_runner

    prepare = task_runner._prepare

    def prepare_with_an_empty_collector(*args: Any, **kwargs: Any) -> Any:
        lineage.get_hook_lineage_collector.cache_clear()
        return prepare(*args, **kwargs)

    task_runner._prepare = prepare_with_an_empty_collector


def _record(dag_run: Any) -> dict[str, Any]:
    from tests.support.dag_runner import task_states, xcom_value

    states = task_states(dag_run)
    return {
        "dag_id": dag_run.dag_id,
        "run_id": dag_run.run_id,
        "states": states,
        "xcom": {task_id: xcom_value(dag_run, task_id) for task_id in states},
    }


def _failing_batch_dag(tmp: Path) -> Any:
    """Eight embeddings, two of them asking for impossible dimensions: two failed rows of eight are
    beyond the 10 % tolerated, so the task saves its rows and then fails."""
    import pendulum
    from airflow.sdk import DAG

    from airflow_openai.operators.batch import OpenAIBatchOperator

    with DAG(FAILING_DAG_ID, schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")) as dag:
        OpenAIBatchOperator(
            task_id="embed_batch",
            requests=[{"input": f"text {n}", "dimensions": 8 if n % 4 else 99999} for n in range(8)],
            endpoint="/v1/embeddings",
            model="text-embedding-3-small",
            poll_interval=0.2,
            max_failed_fraction=0.1,
            retries=0,
            output_path=str(tmp / FAILING_OUTPUT),
        )
    return dag


def main(plan_path: str) -> None:
    import pendulum

    from tests.support.dag_runner import run_dag

    _fresh_hook_lineage_per_task()
    plan = json.loads(Path(plan_path).read_text())
    tmp = Path(plan["tmp"])
    emu = Control(plan["emulator_url"])
    results: dict[str, Any] = {}

    def run(name: str, dag: Any, **kwargs: Any) -> None:
        results[name] = _record(run_dag(dag, logical_date=None, **kwargs))

    from airflow_openai.example_dags import (
        example_openai_audit_logs,
        example_openai_batch,
        example_openai_direct,
        example_openai_files,
        example_openai_fine_tuning,
        example_openai_runs,
        example_openai_vector_store,
    )

    run("batch", example_openai_batch.dag, run_conf={"reviews": 20})
    run(
        "direct",
        example_openai_direct.dag,
        run_conf={"docs_folder": str(tmp / "direct_docs"), "documents": 10},
    )
    run("files", example_openai_files.dag, run_conf={"folder": str(tmp / "corpus"), "keep_days": 7})
    run("runs", example_openai_runs.dag)
    emu.post("/clock", {"speed": 600})
    run("vector_store", example_openai_vector_store.dag, run_conf={"docs_folder": str(tmp / "handbook")})
    run("fine_tuning", example_openai_fine_tuning.dag)
    emu.post("/clock", {"speed": 60})
    run("failure", _failing_batch_dag(tmp))

    # Last, as it stops the clock: two hours of audit log ending on the hour, exported by a run
    # without a logical date whose conf names them (such a run also takes the snapshot).
    emu.post("/clock", {"speed": 0})
    now = emu.now()
    end = (int(now) // 3600 + 1) * 3600
    emu.post("/clock", {"advance": end + 0.5 - now})
    emu.post("/organization/activity", {"hours": 2, "events_per_hour": 3, "seed": 5})
    window = {"start": pendulum.from_timestamp(end - 7200, tz="UTC").isoformat(), "end": str(end)}
    run("audit_logs", example_openai_audit_logs.dag, run_conf=window)

    Path(plan["results"]).write_text(json.dumps(results, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
