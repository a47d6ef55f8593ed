"""Every example DAG run once with the OpenLineage provider writing its events to a file: per
operator task, the START and COMPLETE (or FAIL) events, their input and output datasets, and our
`openai` run facet against what the task returned; every event against the RunEvent schema of
spec 2-0-2; no API key anywhere.

The DAGs run in one separate process (`tests.support.openlineage_runs`, ~25 s), with the
connection holding the realistic keys of `tests.support.keys`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from airflow_openai.emulator.server import DEFAULT_SPEED
from airflow_openai.operators.lineage import PRODUCER
from tests.support.keys import ADMIN_KEY, PROJECT_KEY
from tests.support.openlineage import (
    LineageRuns,
    datasets,
    event_validator,
    facet_validator,
    problems,
    run_dags_with_file_transport,
)
from tests.support.openlineage_runs import FAILING_OUTPUT

NAMESPACE = "openai-lineage-tests"
OPERATOR_TASKS = {
    ("batch", "summarise"): "OpenAIBatchOperator",
    ("direct", "embed"): "OpenAIEmbeddingOperator",
    ("direct", "ask"): "OpenAIDirectCallsOperator",
    ("files", "upload"): "OpenAIUploadFileOperator",
    ("files", "copy_back"): "OpenAIDownloadFileOperator",
    ("files", "tidy"): "OpenAIDeleteFilesOperator",
    ("runs", "ask"): "OpenAIAssistantRunOperator",
    ("vector_store", "ingest"): "OpenAIVectorStoreIngestOperator",
    ("fine_tuning", "fine_tune"): "OpenAIFineTuningJobOperator",
    ("fine_tuning", "evaluate_tuned"): "OpenAIBatchOperator",
    ("fine_tuning", "evaluate_base"): "OpenAIBatchOperator",
    ("failure", "embed_batch"): "OpenAIBatchOperator",
    ("audit_logs", "export_audit_logs"): "OpenAIAuditLogsToStorageOperator",
    ("audit_logs", "snapshot"): "OpenAIOrganizationSnapshotOperator",
}
"""Every task of this provider's operators in the runs, and its operator."""


@pytest.fixture(scope="module")
def emulator(airflow_db, openai_emulator):
    openai_emulator.reset()
    openai_emulator.set_speed(DEFAULT_SPEED)
    yield openai_emulator
    openai_emulator.reset()
    openai_emulator.set_speed(DEFAULT_SPEED)
    openai_emulator.clear_faults()


@pytest.fixture(scope="module")
def runs(emulator, tmp_path_factory) -> LineageRuns:
    connection = emulator.connection()
    connection = {
        **connection,
        "password": PROJECT_KEY,
        "extra": {**connection["extra"], "admin_api_key": ADMIN_KEY},
    }
    return run_dags_with_file_transport(
        tmp_path_factory.mktemp("lineage"),
        emulator_url=emulator.url,
        connection=connection,
        namespace=NAMESPACE,
    )


@pytest.fixture(scope="module")
def api(emulator) -> str:
    """The namespace of objects the API keeps, written out from the emulator's address."""
    return "openai://" + emulator.base_url.removeprefix("http://")


def local(location: str) -> tuple[str, str]:
    """A local file's dataset, written out: the `file` namespace and its absolute path."""
    return ("file", location.removeprefix("file://"))


def lifecycle(runs: LineageRuns, case: str, task_id: str, end: str = "COMPLETE") -> tuple[list[Any], Any]:
    """The task's START events (one per resumption of a deferred task) and its one `end` event."""
    events = runs.task_events(case, task_id)
    assert set(events) == {"START", end}, f"{case}.{task_id}: {sorted(events)}"
    assert len(events[end]) == 1, f"{case}.{task_id}: {len(events[end])} {end} events"
    return events["START"], events[end][0]


def facet(event: dict[str, Any], case: str, task_id: str, api: str) -> dict[str, Any]:
    """The event's `openai` run facet, after the parts every one of ours shares."""
    found = event["run"]["facets"]["openai_run"]
    assert found["operator"] == OPERATOR_TASKS[(case, task_id)]
    assert found["base_url"] == api.removeprefix("openai://")
    assert found["_producer"] == PRODUCER
    assert found["_schemaURL"].endswith(
        "/src/airflow_openai/lineage/OpenAIRunFacet.json#/$defs/OpenAIRunFacet"
    )
    return found


def counts(manifest: dict[str, Any]) -> dict[str, int]:
    return {key: manifest[key] for key in ("total", "succeeded", "failed")}


def tokens(usage: dict[str, int]) -> dict[str, int]:
    return {"prompt_tokens": usage["prompt_tokens"], "completion_tokens": usage["completion_tokens"]}


def assert_results_task(runs, case, task_id, api, *, inputs=frozenset(), model) -> dict[str, Any]:
    """A batch or direct-calls task: its inputs throughout, its results file once done, its counts,
    tokens and model. Returns the COMPLETE event's facet."""
    manifest = runs.xcom(case, task_id)
    starts, complete = lifecycle(runs, case, task_id)
    for start in starts:
        assert (datasets(start, "inputs"), datasets(start, "outputs")) == (set(inputs), set())
        assert facet(start, case, task_id, api)["model"] == model
    assert datasets(complete, "inputs") == set(inputs)
    assert datasets(complete, "outputs") == {local(manifest["output_path"])}
    done = facet(complete, case, task_id, api)
    assert done["model"] == model and "error" not in done
    assert done["request_counts"] == counts(manifest) and manifest["failed"] == 0
    assert done["usage"] == tokens(manifest["usage"]) and done["failures_by_reason"] == {}
    return done


# -- the example DAGs ---------------------------------------------------------------------------------


def test_batch_dag_the_results_file_is_the_output_and_the_facet_tells_the_batches(runs, api):
    assert set(runs.states("batch").values()) == {"success"}
    done = assert_results_task(runs, "batch", "summarise", api, model="gpt-4o-mini")
    manifest = runs.xcom("batch", "summarise")
    assert manifest["total"] == 20 and len(manifest["batch_ids"]) == 1
    assert done["batch_ids"] == manifest["batch_ids"] and done["created"] == {"batches": 1}
    assert done["usage"]["prompt_tokens"] > 0 and done["usage"]["completion_tokens"] > 0


def test_direct_dag_embeddings_read_the_docs_folder_and_calls_write_their_results(runs, api):
    assert set(runs.states("direct").values()) == {"success"}
    folder = runs.xcom("direct", "write_docs").removesuffix("/**/*.md")
    assert folder == str(runs.tmp / "direct_docs")
    embedded = assert_results_task(
        runs, "direct", "embed", api, inputs={local(folder)}, model="text-embedding-3-small"
    )
    assert embedded["request_counts"]["succeeded"] == 10 and embedded["usage"]["completion_tokens"] == 0
    asked = assert_results_task(runs, "direct", "ask", api, model="gpt-4o-mini")
    assert asked["request_counts"]["succeeded"] == 8
    assert embedded["batch_ids"] == asked["batch_ids"] == [] and embedded["created"] == asked["created"] == {}


def test_files_dag_uploads_read_local_files_into_api_files_and_downloads_the_reverse(runs, api):
    assert set(runs.states("files").values()) == {"success"}
    uploaded = runs.xcom("files", "upload")
    assert len(uploaded["files"]) == 3
    starts, complete = lifecycle(runs, "files", "upload")
    for start in starts:  # the source glob stands for its folder until the files are known
        assert (datasets(start, "inputs"), datasets(start, "outputs")) == (
            {local(str(runs.tmp / "corpus"))},
            set(),
        )
    assert datasets(complete, "inputs") == {local(path) for path in uploaded["files"]}
    assert datasets(complete, "outputs") == {(api, f"file/{file_id}") for file_id in uploaded["file_ids"]}
    assert sorted(facet(complete, "files", "upload", api)["file_ids"]) == sorted(uploaded["file_ids"])

    copies = runs.xcom("files", "copy_back")
    assert sorted(copies) == sorted(uploaded["file_ids"])
    starts, complete = lifecycle(runs, "files", "copy_back")
    for start in starts:
        assert (datasets(start, "inputs"), datasets(start, "outputs")) == (
            set(),
            {local(str(runs.tmp / "corpus" / "copies"))},
        )
    assert datasets(complete, "inputs") == {(api, f"file/{file_id}") for file_id in copies}
    assert datasets(complete, "outputs") == {local(path) for path in copies.values()}
    assert sorted(facet(complete, "files", "copy_back", api)["file_ids"]) == sorted(copies)

    starts, complete = lifecycle(runs, "files", "tidy")  # deleting reads and writes no dataset
    for event in [*starts, complete]:
        assert (datasets(event, "inputs"), datasets(event, "outputs")) == (set(), set())
        facet(event, "files", "tidy", api)


def test_runs_dag_the_facet_tells_the_run_its_thread_and_tokens(runs, api):
    assert set(runs.states("runs").values()) == {"success"}
    result = runs.xcom("runs", "ask")
    starts, complete = lifecycle(runs, "runs", "ask")
    assert len(starts) >= 2, "deferred, resumed for the tool call, deferred and resumed again"
    for event in [*starts, complete]:
        assert (datasets(event, "inputs"), datasets(event, "outputs")) == (set(), set())
    done = facet(complete, "runs", "ask", api)
    assert (done["run_id"], done["thread_id"]) == (result["run_id"], result["thread_id"])
    assert done["usage"] == tokens(result["usage"]) and done["created"] == {"runs": 1}


def test_vector_store_dag_the_source_folder_goes_into_the_store(runs, api):
    assert set(runs.states("vector_store").values()) == {"success"}
    folder = runs.xcom("vector_store", "write_docs").removesuffix("/**/*")
    assert folder == str(runs.tmp / "handbook")
    ingested = runs.xcom("vector_store", "ingest")
    starts, complete = lifecycle(runs, "vector_store", "ingest")
    for start in starts:  # the store is found by its key as the task runs
        assert (datasets(start, "inputs"), datasets(start, "outputs")) == ({local(folder)}, set())
    assert datasets(complete, "inputs") == {local(folder)}
    assert datasets(complete, "outputs") == {(api, f"vector_store/{ingested['vector_store_id']}")}
    done = facet(complete, "vector_store", "ingest", api)
    assert done["vector_store_id"] == ingested["vector_store_id"]
    assert done["request_counts"] == {"added": 5, "replaced": 0, "removed": 0, "unchanged": 0, "failed": 0}
    assert ingested["added"] == 5 and ingested["failed"] == []


def test_fine_tuning_dag_trains_on_uploaded_data_into_a_model_then_evaluates_it_by_batch(runs, api):
    from airflow_openai.example_dags.example_openai_fine_tuning import BASE_MODEL

    assert set(runs.states("fine_tuning").values()) == {"success"}
    job = runs.xcom("fine_tuning", "fine_tune")
    starts, complete = lifecycle(runs, "fine_tuning", "fine_tune")
    for start in starts:  # records from XCom are no dataset until uploaded
        assert (datasets(start, "inputs"), datasets(start, "outputs")) == (set(), set())
        assert facet(start, "fine_tuning", "fine_tune", api)["model"] == BASE_MODEL
    assert datasets(complete, "inputs") == {
        (api, f"file/{job['training_file']}"),
        (api, f"file/{job['validation_file']}"),
    }
    assert datasets(complete, "outputs") == {
        local(job["metrics_path"]),
        local(job["chart_path"]),
        (api, f"model/{job['fine_tuned_model']}"),
    }
    done = facet(complete, "fine_tuning", "fine_tune", api)
    assert (done["job_id"], done["fine_tuned_model"], done["model"]) == (
        job["job_id"],
        job["fine_tuned_model"],
        BASE_MODEL,
    )
    assert done["usage"] == {"trained_tokens": job["trained_tokens"]} and job["trained_tokens"] > 0
    assert done["created"] == {"fine_tuning_jobs": 1}

    for task_id, model in (("evaluate_tuned", job["fine_tuned_model"]), ("evaluate_base", BASE_MODEL)):
        evaluated = assert_results_task(runs, "fine_tuning", task_id, api, model=model)
        assert evaluated["batch_ids"] == runs.xcom("fine_tuning", task_id)["batch_ids"]


def test_audit_logs_dag_writes_the_export_and_the_snapshot(runs, api):
    assert set(runs.states("audit_logs").values()) == {"success"}
    for task_id in ("export_audit_logs", "snapshot"):
        written = runs.xcom("audit_logs", task_id)["path"]
        starts, complete = lifecycle(runs, "audit_logs", task_id)
        for start in starts:  # the default path is made as the task runs
            assert (datasets(start, "inputs"), datasets(start, "outputs")) == (set(), set())
        assert datasets(complete, "inputs") == set()
        assert datasets(complete, "outputs") == {local(written)}
        facet(complete, "audit_logs", task_id, api)
    assert runs.xcom("audit_logs", "export_audit_logs")["count"] == 6


def test_a_failed_batch_task_ends_with_fail_and_the_error_in_the_facet(runs, api):
    assert runs.states("failure") == {"embed_batch": "failed"}
    output = local(str(runs.tmp / FAILING_OUTPUT))
    starts, failed = lifecycle(runs, "failure", "embed_batch", end="FAIL")
    for event in [*starts, failed]:
        assert (datasets(event, "inputs"), datasets(event, "outputs")) == (set(), {output})
    assert all("error" not in facet(start, "failure", "embed_batch", api) for start in starts)
    done = facet(failed, "failure", "embed_batch", api)
    assert done["model"] == "text-embedding-3-small"
    assert done["error"].startswith("AirflowFailException: 2 of 8 requests failed")
    assert "max_failed_fraction=0.1" in done["error"]
    # What was paid for before the task failed is told too.
    assert done["request_counts"] == {"total": 8, "succeeded": 6, "failed": 2}
    assert len(done["batch_ids"]) == 1 and sum(done["failures_by_reason"].values()) == 2


# -- across all runs ----------------------------------------------------------------------------------


def test_every_task_has_its_events_and_only_our_operators_carry_the_openai_facet(runs):
    with_facet = set()
    for case, record in runs.results.items():
        for task_id, state in record["states"].items():
            events = runs.task_events(case, task_id)
            end = {"success": "COMPLETE", "failed": "FAIL"}[state]
            assert set(events) == {"START", end}, (case, task_id, sorted(events))
            for event in [event for group in events.values() for event in group]:
                assert event["job"]["namespace"] == NAMESPACE
                if "openai_run" in event["run"].get("facets", {}):
                    with_facet.add((case, task_id))
    assert with_facet == set(OPERATOR_TASKS)


def test_every_event_is_a_valid_run_event_and_every_openai_facet_a_valid_facet(runs):
    assert len(runs.events) > 50
    validator, facets = event_validator(), facet_validator()
    for event in runs.events:
        assert not problems(validator, event), (event["job"]["name"], problems(validator, event))
    found = list(runs.openai_facets())
    assert len(found) >= 2 * len(OPERATOR_TASKS)
    for openai in found:
        assert not problems(facets, openai), (openai["operator"], problems(facets, openai))


def test_the_schemas_reject_what_the_spec_forbids():
    """The checks above have teeth: a facet without `_producer`, an event without a run id's UUID,
    a time without a zone, and a facet whose counts are not integers are all refused."""
    event = {
        "eventType": "START",
        "eventTime": "2026-01-01T00:00:00.000+00:00",
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "01940000-0000-7000-8000-000000000000", "facets": {}},
        "job": {"namespace": NAMESPACE, "name": "dag.task"},
    }
    validator = event_validator()
    assert problems(validator, event) == []
    assert problems(validator, {**event, "eventTime": "2026-01-01T00:00:00"})
    assert problems(validator, {**event, "run": {"runId": "run-1"}})
    assert problems(validator, {**event, "run": {**event["run"], "facets": {"x": {"_schemaURL": PRODUCER}}}})
    assert problems(validator, {key: value for key, value in event.items() if key != "job"})
    facets = facet_validator()
    good = {
        "_producer": PRODUCER,
        "_schemaURL": PRODUCER + "/f.json#/$defs/F",
        "request_counts": {"total": 1},
    }
    assert problems(facets, good) == []
    assert problems(facets, {**good, "request_counts": {"total": "1"}})
    assert problems(facets, {key: value for key, value in good.items() if key != "_producer"})


def test_the_events_validate_against_the_real_spec_when_one_is_given(runs):
    """`OPENLINEAGE_SPEC`: a copy of https://openlineage.io/spec/2-0-2/OpenLineage.json."""
    spec_path = os.environ.get("OPENLINEAGE_SPEC")
    if not spec_path:
        pytest.skip(
            "OPENLINEAGE_SPEC names no copy of the spec's OpenLineage.json (the client wheel ships none)"
        )
    spec = json.loads(Path(spec_path).read_text())
    assert spec.get("$id", "").startswith("https://openlineage.io/spec/2-0-2/"), spec.get("$id")
    validator, facets = event_validator(spec), facet_validator(spec)
    for event in runs.events:
        assert not problems(validator, event), (event["job"]["name"], problems(validator, event))
    for openai in runs.openai_facets():
        assert not problems(facets, openai), problems(facets, openai)


def test_no_api_key_is_in_any_event_or_the_runs_log(runs, emulator):
    assert runs.raw
    for key in (PROJECT_KEY, ADMIN_KEY, emulator.api_key, emulator.admin_key):
        assert key not in runs.raw
        assert key not in runs.log
