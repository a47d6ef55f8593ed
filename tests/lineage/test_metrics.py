"""The `Stats` metrics of whole task runs, as a StatsD server receives them, against the manifest.

Airflow is configured as a deployment would be, for DogStatsD (`[metrics] statsd_on`,
`statsd_datadog_enabled`: tags travel with each metric), and pointed at a UDP socket on the
loopback that these tests read. The task SDK's `Stats` picks its backend from the configuration
when it is initialized (the task runner does so at start; `dag.test()` runs tasks in this
process, so the fixture initializes it the same way, through its public `initialize`).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support.dag_runner import run_dag, task_states, xcom_value


@dataclass(frozen=True)
class Metric:
    name: str
    value: float
    kind: str
    """`c` for a count, `ms` for a timing."""
    tags: dict[str, str]


class StatsDListener:
    """A UDP socket on the loopback that keeps the DogStatsD lines it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.metrics: list[Metric] = []

    def drain(self) -> list[Metric]:
        """Everything received so far (a datagram may hold several lines)."""
        while True:
            try:
                data = self.sock.recv(65535)
            except TimeoutError:
                return self.metrics
            for line in data.decode().splitlines():
                self.metrics.append(parse(line))

    def close(self) -> None:
        self.sock.close()


def parse(line: str) -> Metric:
    """`name:value|type|@rate|#tag:value,tag:value` (DogStatsD)."""
    head, *fields = line.split("|")
    name, value = head.rsplit(":", 1)
    tags: dict[str, str] = {}
    for part in fields[1:]:
        if part.startswith("#"):
            tags = dict(tag.split(":", 1) for tag in part[1:].split(",") if tag)
    return Metric(name, float(value), fields[0], tags)


@pytest.fixture
def statsd() -> Iterator[StatsDListener]:
    """Airflow's metrics sent, as DogStatsD with tags, to a listener on the loopback."""
    from airflow.sdk.observability import stats
    from airflow.sdk.observability.metrics import stats_utils

    listener = StatsDListener()
    with pytest.MonkeyPatch.context() as env:
        for key, value in {
            "STATSD_ON": "True",
            "STATSD_DATADOG_ENABLED": "True",
            "STATSD_HOST": "127.0.0.1",
            "STATSD_PORT": str(listener.port),
            "STATSD_PREFIX": "airflow",
        }.items():
            env.setenv(f"AIRFLOW__METRICS__{key}", value)
        stats.initialize(factory=stats_utils.get_stats_factory(), export_legacy_names=False)
        stats.incr("openai.test.probe")  # the backend really is DogStatsD, sending here
        assert [m.name for m in listener.drain()] == ["airflow.openai.test.probe"]
        listener.metrics.clear()
        try:
            yield listener
        finally:
            listener.close()
    stats.initialize(factory=stats_utils.get_stats_factory(), export_legacy_names=True)


def ours(metrics: list[Metric], name: str, **tags: str) -> list[Metric]:
    return [
        m
        for m in metrics
        if m.name == f"airflow.openai.{name}" and all(m.tags.get(k) == v for k, v in tags.items())
    ]


def total(metrics: list[Metric], name: str, **tags: str) -> float:
    return sum(m.value for m in ours(metrics, name, **tags))


TASK = {"conn_id": "openai_default"}


def test_a_deferrable_batch_run_counts_what_its_manifest_says(
    airflow_db, openai_emulator_clean, new_dag, tmp_path, statsd
):
    """Two of eight lines name no model the API has (failed, `model_not_found`); the first three
    polls of the batch get a 503, an outage the trigger rides out."""
    from airflow_openai.operators.batch import OpenAIBatchOperator

    emu = openai_emulator_clean
    requests = [
        {
            "custom_id": f"r{n}",
            "body": {
                "model": "no-such-model" if n % 4 == 0 else "gpt-4o-mini",
                "messages": [{"role": "user", "content": f"question {n}"}],
            },
        }
        for n in range(8)
    ]
    emu.fault("/v1/batches/*", method="GET", status=503, count=3)
    with new_dag() as dag:
        OpenAIBatchOperator(
            task_id="batch",
            requests=requests,
            deferrable=True,
            poll_interval=0.2,
            max_failed_fraction=0.5,
            output_path=str(tmp_path / "results.jsonl"),
        )
    dag_run = run_dag(dag)
    metrics = statsd.drain()

    assert task_states(dag_run) == {"batch": "success"}
    manifest = xcom_value(dag_run, "batch")
    assert manifest["failures_by_reason"] == {"model_not_found": 2}
    task = {"operator": "OpenAIBatchOperator", **TASK, "dag_id": dag.dag_id, "task_id": "batch"}
    assert total(metrics, "requests.sent", **task) == manifest["total"] == 8
    failed = {m.tags["reason"]: m.value for m in ours(metrics, "requests.failed", **task)}
    assert failed == manifest["failures_by_reason"]
    assert total(metrics, "tokens.prompt", **task) == manifest["usage"]["prompt_tokens"] > 0
    assert total(metrics, "tokens.completion", **task) == manifest["usage"]["completion_tokens"] > 0
    assert total(metrics, "batches.created", **task) == len(manifest["batch_ids"]) == 1
    assert total(metrics, "polls", kind="batch", outcome="answered", **TASK) > 0
    assert total(metrics, "polls", kind="batch", outcome="failed", **TASK) == 3
    (outage,) = ours(metrics, "outage.duration", kind="batch", **TASK)
    assert outage.kind == "ms" and outage.value > 0
    assert not ours(metrics, "jobs.created")


def test_a_fine_tuning_run_counts_its_job_and_trained_tokens(
    airflow_db, openai_emulator_clean, new_dag, statsd
):
    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator
    from tests.support.fine_tuning import records

    openai_emulator_clean.set_speed(600)  # the job's 400 emulated seconds in under a second
    with new_dag() as dag:
        OpenAIFineTuningJobOperator(
            task_id="fine_tune",
            model="gpt-4o-mini-2024-07-18",
            training_file=records(24),
            hyperparameters={"n_epochs": 2},
            deferrable=True,
            poll_interval=0.2,
        )
    dag_run = run_dag(dag)
    metrics = statsd.drain()

    assert task_states(dag_run) == {"fine_tune": "success"}
    result = xcom_value(dag_run, "fine_tune")
    task = {"operator": "OpenAIFineTuningJobOperator", **TASK, "dag_id": dag.dag_id, "task_id": "fine_tune"}
    assert total(metrics, "tokens.trained", **task) == result["trained_tokens"] > 0
    assert total(metrics, "jobs.created", kind="fine_tuning_jobs", **task) == 1
    assert total(metrics, "polls", kind="fine_tuning", outcome="answered", **TASK) > 0
    assert not ours(metrics, "polls", outcome="failed") and not ours(metrics, "outage.duration")
    assert not ours(metrics, "requests.sent") and not ours(metrics, "batches.created")
