"""Every create the hook offers decides what a lost answer means, and acts on it.

The emulator has no routes yet for fine-tuning, vector stores, runs or the Admin API, so
these run against the scripted server: the create's answer is a 502 (the server may have
acted), and the lookup the create names finds the object. Each create is sent once, the
object found is returned, and an older look-alike is never taken for it.
"""

from __future__ import annotations

import inspect
import io
import time

import pytest

from airflow_openai.client import AnswerLostError
from airflow_openai.client.endpoints import (
    batches,
    files,
    fine_tuning,
    models,
    organization,
    runs,
    vector_stores,
)
from airflow_openai.models import Upload
from tests.support.clients import hook_for
from tests.support.scripted_server import Reply, error_body

NOW = int(time.time())


def _page(*items):
    return {"object": "list", "data": list(items), "has_more": False}


CASES = {
    "fine-tuning job": (
        lambda: fine_tuning.create_fine_tuning_job("gpt-4o-mini", "file-train", suffix="x"),
        ("POST", "/v1/fine_tuning/jobs"),
        ("GET", "/v1/fine_tuning/jobs"),
        {
            "id": "ftjob-1",
            "object": "fine_tuning.job",
            "created_at": NOW,
            "model": "gpt-4o-mini-2024-07-18",  # the API answers with the snapshot it resolved
            "status": "validating_files",
            "training_file": "file-train",
        },
    ),
    "vector store": (
        lambda: vector_stores.create_vector_store("docs", metadata={"dag": "ingest"}),
        ("POST", "/v1/vector_stores"),
        ("GET", "/v1/vector_stores"),
        {
            "id": "vs_1",
            "object": "vector_store",
            "created_at": NOW,
            "name": "docs",
            "metadata": {"dag": "ingest"},
        },
    ),
    "vector store file": (
        lambda: vector_stores.create_vector_store_file("vs_1", "file-a"),
        ("POST", "/v1/vector_stores/vs_1/files"),
        ("GET", "/v1/vector_stores/vs_1/files/file-a"),
        {"id": "file-a", "object": "vector_store.file", "created_at": NOW, "vector_store_id": "vs_1"},
    ),
    "run": (
        lambda: runs.create_run("thread_1", "asst_1"),
        ("POST", "/v1/threads/thread_1/runs"),
        ("GET", "/v1/threads/thread_1/runs"),
        {
            "id": "run_1",
            "object": "thread.run",
            "created_at": NOW,
            "thread_id": "thread_1",
            "assistant_id": "asst_1",
            "status": "queued",
        },
    ),
    "invite": (
        lambda: organization.create_invite("ana@example.com", "reader"),
        ("POST", "/v1/organization/invites"),
        ("GET", "/v1/organization/invites"),
        {
            "id": "invite-1",
            "object": "organization.invite",
            "email": "ana@example.com",
            "role": "reader",
            "invited_at": NOW,
            "expires_at": NOW + 86400,
        },
    ),
    "project": (
        lambda: organization.create_project("etl"),
        ("POST", "/v1/organization/projects"),
        ("GET", "/v1/organization/projects"),
        {
            "id": "proj_1",
            "object": "organization.project",
            "name": "etl",
            "created_at": NOW,
            "status": "active",
        },
    ),
    "project member": (
        lambda: organization.create_project_user("proj_1", "user_1", "member"),
        ("POST", "/v1/organization/projects/proj_1/users"),
        ("GET", "/v1/organization/projects/proj_1/users/user_1"),
        {
            "id": "user_1",
            "object": "organization.project.user",
            "email": "ana@example.com",
            "role": "member",
            "added_at": NOW,
        },
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_lost_create_is_found_not_repeated(server, case):
    build, create, lookup, found = CASES[case]
    server.queue(*create, Reply(502, error_body("upstream failed", type="server_error")))
    is_list = lookup[1].rsplit("/", 1)[-1] in ("jobs", "vector_stores", "runs", "invites", "projects")
    server.queue(*lookup, Reply(200, _page(found) if is_list else found))

    result = hook_for(server.base_url).transport.request(build())

    assert result.id == found["id"]
    assert len([s for s in server.seen if (s.method, s.path) == create]) == 1, f"the {case} was created twice"


@pytest.mark.parametrize(
    ("case", "stale"),
    [
        ("invite", {"invited_at": NOW - 90 * 86400, "status": "expired"}),
        ("invite", {"role": "owner"}),
        ("project member", {"added_at": NOW - 3600}),
        ("project member", {"role": "owner"}),
    ],
    ids=["expired invite", "invite with another role", "earlier member", "member with another role"],
)
def test_an_object_that_is_not_the_lost_ones_is_not_taken_for_it(server, case, stale):
    """The create is sent again when the look-up finds only an older or different object."""
    build, create, lookup, found = CASES[case]
    server.queue(*create, Reply(502, error_body("upstream failed", type="server_error")), Reply(200, found))
    is_list = case == "invite"
    other = {**found, **stale, "id": "other"} if is_list else {**found, **stale}
    for _ in range(10):
        server.queue(*lookup, Reply(200, _page(other) if is_list else other))

    result = hook_for(server.base_url).transport.request(build())

    assert result.id == found["id"]
    assert len([s for s in server.seen if (s.method, s.path) == create]) == 2


def test_an_older_look_alike_is_not_taken_for_the_lost_batch(server):
    """Made before this create was sent (beyond the clock-skew allowance): not ours, so create again."""
    old = {
        "id": "batch_old",
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "input_file_id": "file-1",
        "completion_window": "24h",
        "status": "completed",
        "created_at": NOW - 3600,
    }
    new = {**old, "id": "batch_new", "status": "validating", "created_at": NOW}
    server.queue("POST", "/v1/batches", Reply(503, error_body("busy")), Reply(200, new))
    server.queue("GET", "/v1/batches", Reply(200, _page(old)))

    result = hook_for(server.base_url).create_batch("file-1", "/v1/chat/completions")

    assert result.id == "batch_new"


REFUSED = {"create_project_service_account", "create_thread_and_run"}
"""Creates that raise `AnswerLostError` rather than risk a second object: each says why in its docstring."""


def _placeholder(parameter):
    text = str(parameter.annotation)
    if "IO" in text:
        return io.BytesIO(b"x")
    if "list" in text:
        return ["id_1"]
    if text.startswith("int"):
        return 1
    return "id_1"


def test_every_post_says_what_a_lost_answer_means():
    """No POST is left to chance: repeatable (with a reason), reconciled, or refused."""
    checked = []
    for module in (batches, files, fine_tuning, models, organization, runs, vector_stores):
        for name, builder in inspect.getmembers(module, inspect.isfunction):
            if builder.__module__ != module.__name__ or name.startswith("_"):
                continue
            required = [p for p in inspect.signature(builder).parameters.values() if p.default is p.empty]
            call = builder(*(_placeholder(p) for p in required if p.kind is p.POSITIONAL_OR_KEYWORD))
            if call.method != "POST":
                continue
            checked.append(name)
            if name == "complete_upload":  # reconciled when told which upload it completes
                upload = Upload(
                    id="upload_1",
                    bytes=9,
                    created_at=NOW,
                    expires_at=NOW,
                    filename="a",
                    purpose="batch",
                    status="pending",
                )
                assert builder("upload_1", ["part_1"], upload=upload).reconcile is not None
                continue
            if name in REFUSED:
                assert call.reconcile is None and not call.idempotent, name
            else:
                assert call.repeatable or call.reconcile is not None, f"{name}: what if its answer is lost?"
    assert len(checked) >= 20, checked


def test_a_service_account_whose_answer_was_lost_is_reported_not_made_twice(server):
    path = "/v1/organization/projects/proj_1/service_accounts"
    server.queue("POST", path, Reply(500, error_body("boom", type="server_error")))

    with pytest.raises(AnswerLostError, match="not sent again"):
        hook_for(server.base_url).create_project_service_account("proj_1", "etl")

    assert len(server.requests_to(path)) == 1


def test_a_thread_and_run_whose_answer_was_lost_is_reported_not_run_twice(server):
    """Its thread's id was never seen and threads cannot be listed: nothing to look for, so no second run."""
    server.queue("POST", "/v1/threads/runs", Reply(502, error_body("upstream failed", type="server_error")))

    with pytest.raises(AnswerLostError, match="not sent again"):
        hook_for(server.base_url).create_thread_and_run("asst_1", {"messages": []})

    assert len(server.requests_to("/v1/threads/runs")) == 1
