"""The README's four keyless connections, as written there (the incumbent provider's field names), each
run a deferrable batch end to end through `dag.test()` while the emulator's access tokens live 2 s:
tokens expire during the wait and are refreshed by the worker's code (sync) and by the trigger's
(async, in a worker thread of the loop). Azure's and GCP's metadata servers are loopback stand-ins;
the Kubernetes token is a file; the custom provider is a function of the test suite.

Afterwards every output of the run is searched for the subject token and for each access token:
the log records, stdout and stderr, every file under `AIRFLOW_HOME` (task logs, the metadata DB
with its XCom, trigger and task-instance rows) and the results file.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from pathlib import Path

import pytest

from airflow_openai.client.identity import WorkloadIdentitySettings, clear_token_sources, token_source_for
from tests.support.identity_stand_ins import CUSTOM_SUBJECT_TOKEN, Seen, StandIn, json_answer

README = Path(__file__).resolve().parents[2] / "README.md"
PROVIDER_ID = "idp_readme_copy"
ACCOUNT_ID = "sa_readme_copy"
LIFETIME = 2
"""Seconds an access token lives: refreshed after 1 s (half its life), so several times per batch."""
AZURE_PATH = "/metadata/identity/oauth2/token"
GCP_PATH = "/computeMetadata/v1/instance/service-accounts/default/identity"


def readme_connections() -> dict[str, dict]:
    """The `AIRFLOW_CONN_OPENAI_DEFAULT` values of the README's keyless-auth section, by provider."""
    section = README.read_text().split("#### Keyless auth (workload identity)", 1)[1].split("\n### ", 1)[0]
    found = [json.loads(v) for v in re.findall(r"export AIRFLOW_CONN_OPENAI_DEFAULT='(.*?)'", section, re.S)]
    return {connection["extra"]["workload_identity_provider"]: connection for connection in found}


def test_the_readme_shows_a_connection_for_each_source():
    assert sorted(readme_connections()) == ["azure", "custom", "gcp", "kubernetes"]


class Source:
    """A README connection made to run here: its subject token, where it is served, what was asked."""

    def __init__(self, provider: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu) -> None:
        self.provider = provider
        self.subject = f"SUBJECT-CANARY-{provider}-{uuid.uuid4().hex}"
        self.conn_id = f"openai_wif_{provider}_{uuid.uuid4().hex[:6]}"
        self.stand_in: StandIn | None = None
        self.token_file = tmp_path / "serviceaccount-token"
        connection = readme_connections()[provider]
        extra = connection["extra"]
        extra.update(identity_provider_id=PROVIDER_ID, service_account_id=ACCOUNT_ID)
        extra["token_exchange_url"] = emu.token_url
        connection["host"] = emu.base_url
        if provider == "kubernetes":
            self.token_file.write_text(self.subject)
            extra["token_file_path"] = str(self.token_file)
        elif provider == "azure":
            self.stand_in = StandIn(self._azure).__enter__()
            monkeypatch.setenv("AIRFLOW_OPENAI_AZURE_IMDS_URL", self.stand_in.url + AZURE_PATH)
        elif provider == "gcp":
            self.stand_in = StandIn(self._gcp).__enter__()
            monkeypatch.setenv("AIRFLOW_OPENAI_GCP_METADATA_URL", self.stand_in.url + GCP_PATH)
        else:
            CUSTOM_SUBJECT_TOKEN.append(self.subject)
            extra["token_provider"] = "tests.support.identity_stand_ins.custom_subject_token"
        self.extra = extra
        monkeypatch.setenv(f"AIRFLOW_CONN_{self.conn_id.upper()}", json.dumps(connection))

    def _azure(self, seen: Seen):
        asked = seen.path == AZURE_PATH and seen.headers.get("metadata") == "true"
        if not asked or seen.query.get("resource") != self.extra["resource"]:
            return json_answer({"error": "invalid_request"}, 400)
        return json_answer({"access_token": self.subject, "expires_in": "3599", "token_type": "Bearer"})

    def _gcp(self, seen: Seen):
        if seen.path != GCP_PATH or seen.headers.get("metadata-flavor") != "Google":
            return 403, {}, b"missing Metadata-Flavor"
        return 200, {"Content-Type": "text/html"}, self.subject.encode()

    def close(self) -> None:
        if self.stand_in is not None:
            self.stand_in.__exit__(None, None, None)
        if self.subject in CUSTOM_SUBJECT_TOKEN:
            CUSTOM_SUBJECT_TOKEN.remove(self.subject)


@pytest.fixture(params=["kubernetes", "azure", "gcp", "custom"])
def source(request, emu, tmp_path, monkeypatch):
    emu.configure_identity(PROVIDER_ID, ACCOUNT_ID, token_lifetime_seconds=LIFETIME)
    clear_token_sources()
    made = Source(request.param, tmp_path, monkeypatch, emu)
    yield made
    made.close()
    clear_token_sources()


def _outputs(home: Path, *more: Path) -> list[tuple[str, bytes]]:
    """Every file the run could have written to: the Airflow home (logs, the metadata DB and its
    journal) and the task's own outputs."""
    files = [p for root in (home, *more) for p in root.rglob("*") if p.is_file()]
    return [(str(p), p.read_bytes()) for p in files]


def test_a_readme_connection_runs_a_deferrable_batch_past_its_tokens(
    source, emu, airflow_db, new_dag, tmp_path, capfd, no_secret_in_logs
):
    import os

    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    from airflow_openai.operators.batch import OpenAIBatchOperator
    from tests.support.dag_runner import run_dag, task_states

    exchanged: list[tuple[str, str]] = []  # (token, the thread that exchanged it)
    settings = WorkloadIdentitySettings.from_extra(source.extra, source=source.conn_id)
    token_source_for(settings).on_new_token(lambda t: exchanged.append((t, threading.current_thread().name)))
    emu.set_speed(1)
    results = tmp_path / "results" / "out.jsonl"
    with new_dag() as dag:
        OpenAIBatchOperator(
            task_id="batch",
            openai_conn_id=source.conn_id,
            prompts=[f"q{n}" for n in range(5)],
            model="gpt-4o-mini",
            deferrable=True,
            poll_interval=0.2,
            output_path=str(results),
        )
    log_lines_before = len(no_secret_in_logs.lines)
    started = time.monotonic()
    dag_run = run_dag(dag)
    waited = time.monotonic() - started

    assert task_states(dag_run) == {"batch": "success"}
    assert len(results.read_text().splitlines()) == 5
    assert emu.requests("/v1/batches", "POST") == 1, "one batch created"
    assert waited > LIFETIME, f"the batch took {waited:.1f} s: no token expired during the wait"
    tokens = [token for token, _ in exchanged]
    assert len(tokens) == len(set(tokens)) == emu.identity()["tokens_issued"] >= 2
    threads = {name for _, name in exchanged}
    assert any(name.startswith("asyncio_") for name in threads), f"the trigger never refreshed: {threads}"
    assert any(not name.startswith("asyncio_") for name in threads), f"the worker never exchanged: {threads}"
    if source.stand_in is not None:
        assert len(source.stand_in.seen) == len(tokens), "one subject token read per exchange"

    with create_session() as session:
        rows = session.scalars(XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag_run.dag_id)).all()
        xcoms = [repr(XComModel.deserialize_value(row)) for row in rows]
    assert xcoms
    captured = capfd.readouterr()
    texts = [
        ("log records", "\n".join(no_secret_in_logs.lines[log_lines_before:]).encode()),
        ("stdout", captured.out.encode()),
        ("stderr", captured.err.encode()),
        ("xcom", "\n".join(xcoms).encode()),
        *_outputs(Path(os.environ["AIRFLOW_HOME"]), tmp_path),
    ]
    searched = [(where, data) for where, data in texts if Path(where) != source.token_file]
    assert any(where.endswith("airflow.db") for where, _ in searched), "the metadata DB was not searched"
    for secret in (source.subject, *tokens):
        leaks = [where for where, data in searched if secret.encode() in data]
        assert not leaks, f"a {'subject' if secret == source.subject else 'access'} token is in {leaks}"
