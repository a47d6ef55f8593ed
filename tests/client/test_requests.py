"""What goes over the wire: credentials per endpoint family, pagination, streamed bodies both ways."""

from __future__ import annotations

import hashlib
import io
import json
from urllib.parse import parse_qs

import pytest

from airflow_openai.client import MissingCredentialsError
from tests.support.clients import hook_for
from tests.support.keys import ADMIN_KEY, PROJECT_KEY
from tests.support.scripted_server import Reply, error_body


def _batch(n: int) -> dict:
    return {
        "id": f"batch_{n:03d}",
        "object": "batch",
        "endpoint": "/v1/embeddings",
        "input_file_id": "file-in",
        "completion_window": "24h",
        "status": "completed",
        "created_at": 1711471533 + n,
    }


def _paged(items: list[dict], page_size: int, with_last_id: bool):
    def handler(seen):
        after = parse_qs(seen.query).get("after", [None])[0]
        start = 0 if after is None else next(i for i, item in enumerate(items) if item["id"] == after) + 1
        page = items[start : start + page_size]
        body = {"object": "list", "data": page, "has_more": start + page_size < len(items)}
        if with_last_id:
            body.update(first_id=page[0]["id"], last_id=page[-1]["id"])
        return Reply(200, body)

    return handler


@pytest.mark.parametrize("with_last_id", [True, False])
def test_list_follows_the_cursor_through_every_page(server, with_last_id):
    items = [_batch(n) for n in range(7)]
    server.handle("GET", "/v1/batches", _paged(items, 3, with_last_id))

    ids = [batch.id for batch in hook_for(server.base_url).list_batches(limit=3)]

    assert ids == [item["id"] for item in items]
    queries = [parse_qs(seen.query) for seen in server.requests_to("/v1/batches")]
    assert [q.get("after", [None])[0] for q in queries] == [None, "batch_002", "batch_005"]
    assert all(q["limit"] == ["3"] for q in queries)


async def test_async_list_pages_the_same_way(server):
    items = [
        {
            "object": "fine_tuning.job.event",
            "id": f"ftevent-{n}",
            "created_at": n,
            "level": "info",
            "message": f"step {n}",
        }
        for n in range(5)
    ]
    server.handle("GET", "/v1/fine_tuning/jobs/ftjob-1/events", _paged(items, 2, False))
    hook = hook_for(server.base_url)
    async with hook:
        messages = [event.message async for event in hook.alist_fine_tuning_events("ftjob-1", limit=2)]
    assert messages == [f"step {n}" for n in range(5)]


def test_project_endpoints_send_the_project_key_and_scope_headers(server):
    server.queue("GET", "/v1/batches/batch_001", Reply(200, _batch(1)))
    hook_for(server.base_url).get_batch("batch_001")
    (seen,) = server.seen
    assert seen.headers["authorization"] == f"Bearer {PROJECT_KEY}"
    assert seen.headers["openai-organization"] == "org-test"
    assert seen.headers["openai-project"] == "proj_test"
    assert seen.headers["user-agent"].startswith("airflow-provider-openai/")


def test_organization_endpoints_send_only_the_admin_key(server):
    project = {
        "id": "proj_abc",
        "object": "organization.project",
        "name": "P",
        "created_at": 1,
        "status": "active",
    }
    server.handle(
        "GET",
        "/v1/organization/projects",
        lambda seen: Reply(200, {"object": "list", "data": [project], "has_more": False}),
    )
    projects = list(hook_for(server.base_url).list_projects(include_archived=True))
    assert [p.id for p in projects] == ["proj_abc"]
    (seen,) = server.seen
    assert seen.headers["authorization"] == f"Bearer {ADMIN_KEY}"
    assert "openai-project" not in seen.headers
    assert parse_qs(seen.query)["include_archived"] == ["true"]


def test_missing_admin_key_fails_before_any_request(server):
    with pytest.raises(MissingCredentialsError, match="admin API key.*test_conn"):
        list(hook_for(server.base_url, admin_api_key=None).list_users())
    assert server.seen == []


def test_missing_api_key_fails_before_any_request(server):
    with pytest.raises(MissingCredentialsError, match="test_conn.*OPENAI_API_KEY"):
        hook_for(server.base_url, api_key=None).get_batch("batch_001")
    assert server.seen == []


def test_empty_ids_are_refused_before_any_request(server):
    with pytest.raises(ValueError, match="id is required"):
        hook_for(server.base_url).get_batch("")
    assert server.seen == []


def test_download_streams_chunks_into_the_destination(server, tmp_path):
    chunks = [bytes([n]) * 300_000 for n in range(10)]
    server.queue(
        "GET",
        "/v1/files/file-out/content",
        Reply(500, error_body("flaky")),
        Reply(200, chunks=chunks, headers={"content-type": "application/octet-stream"}),
    )
    server.queue("GET", "/v1/files/file-out", Reply(200, _file_object("file-out", 3_000_000)))
    target = tmp_path / "out.jsonl"

    written = hook_for(server.base_url).download_file("file-out", target)

    assert written == 3_000_000
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(b"".join(chunks)).digest()


async def test_async_download_to_a_file_object(server):
    server.queue("GET", "/v1/files/file-out/content", Reply(200, chunks=[b"a" * 1000, b"b" * 1000]))
    server.queue("GET", "/v1/files/file-out", Reply(200, _file_object("file-out", 2000)))
    sink = io.BytesIO()
    hook = hook_for(server.base_url)
    async with hook:
        assert await hook.adownload_file("file-out", sink) == 2000
    assert sink.getvalue() == b"a" * 1000 + b"b" * 1000


def test_create_file_streams_the_body_and_resends_it_whole_on_retry(server, tmp_path):
    payload = b"".join(json.dumps({"n": n}).encode() + b"\n" for n in range(50_000))
    source = tmp_path / "requests.jsonl"
    source.write_bytes(payload)
    created = {
        "id": "file-new",
        "object": "file",
        "bytes": len(payload),
        "created_at": 1,
        "filename": "requests.jsonl",
        "purpose": "batch",
        "status": "processed",
    }
    server.queue("POST", "/v1/files", Reply(503, error_body("busy")), Reply(200, created))
    server.queue("GET", "/v1/files", Reply(200, {"object": "list", "data": [], "has_more": False}))

    result = hook_for(server.base_url).create_file(source, purpose="batch")

    assert result.id == "file-new" and result.bytes == len(payload)
    seen = server.requests_to("/v1/files")
    first, second = (request for request in seen if request.method == "POST")
    lookups = [request for request in seen if request.method == "GET"]
    assert lookups and all("purpose=batch" in r.query for r in lookups)  # a 503 may hide a created file
    assert len(first.body) == len(second.body) and payload in first.body
    assert payload in second.body and b'name="purpose"' in second.body and b"batch" in second.body
    assert b'filename="requests.jsonl"' in second.body


def test_create_file_refuses_an_unknown_purpose_before_sending(server):
    with pytest.raises(ValueError, match="purpose must be one of"):
        hook_for(server.base_url).create_file(io.BytesIO(b"x"), purpose="batch_output")
    assert server.seen == []


def test_upload_parts_are_multipart_data_fields(server):
    part = {"id": "part_1", "object": "upload.part", "created_at": 1, "upload_id": "upload_1"}
    server.queue("POST", "/v1/uploads/upload_1/parts", Reply(200, part))
    result = hook_for(server.base_url).create_upload_part("upload_1", io.BytesIO(b"\x00\x01" * 1000))
    assert result.id == "part_1"
    (seen,) = server.seen
    assert seen.headers["content-type"].startswith("multipart/form-data")
    assert b'name="data"' in seen.body and b"\x00\x01" * 1000 in seen.body


def _file_object(file_id: str, size: int) -> dict:
    """The file a download is checked against: the bytes it must deliver."""
    return {
        "id": file_id,
        "object": "file",
        "bytes": size,
        "created_at": 1,
        "filename": "out.jsonl",
        "purpose": "batch_output",
        "status": "processed",
    }
