"""Airflow metrics (`Stats`: StatsD or OpenTelemetry, as the deployment configures them) for what
the operators and triggers do, tagged with the operator, the connection, the DAG and the task, so
token spend can be graphed per DAG without reading a log.

| metric | kind | tags besides the task's |
|---|---|---|
| `openai.requests.sent` | count | |
| `openai.requests.failed` | count | `reason` (the API's error code) |
| `openai.tokens.prompt`, `openai.tokens.completion`, `openai.tokens.trained` | count | |
| `openai.batches.created`, `openai.jobs.created` | count | `kind` for jobs |
| `openai.polls` | count | `kind`, `outcome` (`answered` or `failed`); `conn_id`, and the DAG and task where the waiter knows them |
| `openai.outage.duration` | timing | the same but `outcome`: how long the API did not answer a wait |

Timings are in milliseconds, as every Airflow timing (StatsD and OpenTelemetry alike).

Counts come from the task's report (its XCom manifest) when the task ends, so they agree with
it; polls and outages are counted by the engine as they happen, in the worker or the triggerer.
A metrics backend that fails never fails a task.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from typing import Any

from airflow_openai.lineage.report import TaskReport

log = logging.getLogger(__name__)

PREFIX = "openai"
JOB_KINDS = {"fine_tuning_jobs", "runs", "file_batches"}


def _stats() -> Any:
    """The task SDK's `Stats` (Airflow 3.3 and later): the backend the task runner and the triggerer
    initialize from `[metrics]`."""
    from airflow.sdk.observability.stats import Stats

    return Stats


def _incr(name: str, count: int, tags: dict[str, str]) -> None:
    if count <= 0:
        return
    try:
        _stats().incr(f"{PREFIX}.{name}", count, tags=tags)
    except Exception:
        log.debug("Could not emit metric %s", name, exc_info=True)


def task_tags(operator: Any) -> dict[str, str]:
    """The operator's class, its connection, its DAG and task: what every metric is tagged with."""
    try:
        dag_id = operator.dag_id
    except Exception:  # an operator run outside a DAG (a test, a script) has none
        dag_id = ""
    return {
        "operator": type(operator).__name__,
        "conn_id": str(getattr(operator, "openai_conn_id", "")),
        "dag_id": str(dag_id or ""),
        "task_id": str(getattr(operator, "task_id", "")),
    }


def emit_report(report: TaskReport, tags: dict[str, str]) -> None:
    """The counts of one finished task run."""
    _incr("requests.sent", report.requests_sent, tags)
    for reason, count in sorted(report.requests_failed.items()):
        _incr("requests.failed", count, {**tags, "reason": reason})
    for kind, count in sorted(report.tokens.items()):
        _incr(f"tokens.{kind}", count, tags)
    for kind, count in sorted(report.created.items()):
        if kind == "batches":
            _incr("batches.created", count, tags)
        elif kind in JOB_KINDS:
            _incr("jobs.created", count, {**tags, "kind": kind})


def poll_tags(kind: str, hook: Any, task: Any = None) -> dict[str, str]:
    """The tags of a wait's polls: the job kind, the hook's connection and, where the waiter knows
    it, the task (an operator, a sensor, or a trigger's task instance): its DAG and task ids."""
    tags = {"kind": kind, "conn_id": str(getattr(hook, "openai_conn_id", "") or "")}
    if task is not None:
        with contextlib.suppress(Exception):  # an operator outside a DAG, a trigger run by hand
            tags.update(dag_id=str(task.dag_id or ""), task_id=str(task.task_id or ""))
    return tags


def emit_polls(tags: dict[str, str], counts: Any) -> None:
    """A wait's reads since the last call (`Watch.take_counts`): answered, failed, and the outages
    that ended, with how long the API did not answer."""
    _incr("polls", counts.answered, {**tags, "outcome": "answered"})
    _incr("polls", counts.failed, {**tags, "outcome": "failed"})
    if counts.outage_seconds > 0:
        try:
            _stats().timing(f"{PREFIX}.outage.duration", timedelta(seconds=counts.outage_seconds), tags=tags)
        except Exception:
            log.debug("Could not emit the outage metric", exc_info=True)
