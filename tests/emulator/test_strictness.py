"""The emulator answers bad input as the service does: a 400 naming the parameter, nothing created,
never a 500, and the connection kept open."""

from __future__ import annotations

import io

import httpx
import pytest


@pytest.fixture
def api(emu):
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.api_key}"}) as client:
        yield client


@pytest.fixture
def control(emu):
    with httpx.Client(base_url=f"{emu.url}/_emulator") as client:
        yield client


def _refused(response: httpx.Response, param: str | None, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    return error


def _batch_file(api: httpx.Client) -> str:
    line = b'{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini", "messages": []}}\n'
    answer = api.post("/files", files={"file": ("in.jsonl", io.BytesIO(line))}, data={"purpose": "batch"})
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"input_file_id": [None, None]}, "input_file_id"),
        ({"input_file_id": 7}, "input_file_id"),
        ({"endpoint": ["/v1/chat/completions"]}, "endpoint"),
        ({"completion_window": 24}, "completion_window"),
        ({"metadata": {"k": 1}}, "metadata.k"),
        ({"metadata": ["k"]}, "metadata"),
        ({"metadata": {"k": "v" * 513}}, "metadata"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata"),
        ({"completion_window": "1h"}, "completion_window"),
        ({"endpoint": "/v1/nope"}, "endpoint"),
    ],
)
def test_a_batch_with_a_mistyped_field_is_a_400_and_creates_nothing(api, change, param):
    body = {"input_file_id": _batch_file(api), "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    _refused(api.post("/batches", json={**body, **change}), param)
    assert api.get("/batches").json()["data"] == []


@pytest.mark.parametrize("body", [[], "x", 3, None])
def test_a_body_that_is_not_an_object_is_a_400(api, body):
    answer = api.post("/batches", json=body)
    assert answer.status_code == 400 and answer.json()["error"]["type"] == "invalid_request_error"


def test_a_batch_with_a_missing_field_names_it(api):
    error = _refused(
        api.post("/batches", json={"endpoint": "/v1/chat/completions", "completion_window": "24h"}),
        "input_file_id",
    )
    assert error["code"] == "missing_required_parameter"


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"bytes": True}, "bytes"),
        ({"bytes": "10"}, "bytes"),
        ({"bytes": 1.5}, "bytes"),
        ({"bytes": 0}, "bytes"),
        ({"filename": None}, "filename"),
        ({"filename": ["a"]}, "filename"),
        ({"purpose": 1}, "purpose"),
        ({"purpose": "nonsense"}, "purpose"),
        ({"mime_type": {}}, "mime_type"),
    ],
)
def test_an_upload_with_a_bad_field_is_a_400_and_creates_nothing(api, emu, change, param):
    body = {"filename": "in.jsonl", "purpose": "batch", "bytes": 10, "mime_type": "application/jsonl"}
    _refused(api.post("/uploads", json={**body, **change}), param)
    assert emu.state.store.all("upload") == []


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "part_ids"),
        ({"part_ids": "part_1"}, "part_ids"),
        ({"part_ids": [1]}, "part_ids.0"),
        ({"part_ids": ["p"], "md5": 5}, "md5"),
    ],
)
def test_completing_an_upload_with_bad_fields_is_a_400(api, emu, body, param):
    created = api.post(
        "/uploads",
        json={"filename": "in.jsonl", "purpose": "batch", "bytes": 10, "mime_type": "application/jsonl"},
    )
    upload_id = created.json()["id"]
    _refused(api.post(f"/uploads/{upload_id}/complete", json=body), param)
    assert emu.state.store.get("upload", upload_id)["status"] == "pending"


@pytest.mark.parametrize(
    ("query", "param"), [({"limit": "x"}, "limit"), ({"limit": 0}, "limit"), ({"order": "up"}, "order")]
)
def test_list_queries_are_checked(api, query, param):
    _refused(api.get("/files", params=query), param)


def test_a_500_keeps_the_connection_open(api, emu):
    emu.fault("/v1/models", method="GET", status=500, count=1)
    first = api.get("/models")
    assert first.status_code == 500 and first.json()["error"]["type"] == "server_error"
    connections_after_error = {id(conn) for conn in api._transport._pool.connections}  # type: ignore[attr-defined]
    second = api.get("/models")
    assert second.status_code == 200
    assert {id(conn) for conn in api._transport._pool.connections} == connections_after_error  # type: ignore[attr-defined]
    assert len(connections_after_error) == 1


def test_an_unexpected_error_is_a_500_envelope_and_keeps_the_connection(api, emu, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(emu.state.store, "all", boom)
    first = api.get("/batches")
    assert first.status_code == 500 and first.json()["error"]["type"] == "server_error"
    pool = api._transport._pool  # type: ignore[attr-defined]
    before = [id(conn) for conn in pool.connections]
    monkeypatch.undo()
    assert api.get("/batches").status_code == 200
    assert [id(conn) for conn in pool.connections] == before and len(before) == 1
    assert pool.connections[0].is_idle()


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/faults", {"path": "/v1/*", "count": "x"}, "count"),
        ("/faults", {"path": "/v1/*", "count": 0}, "count"),
        ("/faults", {"path": "/v1/*", "status": "500"}, "status"),
        ("/faults", {"path": "/v1/*", "latency_ms": -1}, "latency_ms"),
        ("/faults", {"path": "/v1/*", "drop": "yes"}, "drop"),
        ("/faults", {"path": "/v1/*", "nonsense": 1}, "nonsense"),
        ("/faults", {"path": "/v1/*", "truncate_framing": "odd"}, "truncate_framing"),
        ("/faults", {"count": 1}, "path"),
        ("/clock", {"advance": 1e300}, "advance"),
        ("/clock", {"advance": "10"}, "advance"),
        ("/clock", {"speed": -1}, "speed"),
        ("/clock", {"speed": 1e300}, "speed"),
        ("/clock", {"seconds_per_line": 0}, "seconds_per_line"),
        ("/rate_limit", {"requests_per_minute": "ten"}, "requests_per_minute"),
        ("/rate_limit", {"requests_per_minute": -1}, "requests_per_minute"),
        ("/link", {"megabytes_per_second": "fast"}, "megabytes_per_second"),
        ("/link", {"megabytes_per_second": -2}, "megabytes_per_second"),
        ("/seed", {"seed": "x"}, "seed"),
    ],
)
def test_the_control_plane_refuses_bad_input_and_keeps_working(api, control, path, body, param):
    _refused(control.post(path, json=body), param)
    assert control.get("/faults").json()["faults"] == []
    assert api.get("/models").status_code == 200


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_the_clock_refuses_non_finite_numbers(control, value):
    raw = f'{{"speed": {value}}}'.encode()
    _refused(control.post("/clock", content=raw, headers={"content-type": "application/json"}), "speed")
    raw = f'{{"advance": {value}}}'.encode()
    _refused(control.post("/clock", content=raw, headers={"content-type": "application/json"}), "advance")


def test_the_clock_still_moves_after_refusing_a_huge_advance(control, emu):
    control.post("/clock", json={"advance": 1e300})
    before = emu.advance(0)
    assert emu.advance(10) >= before + 10


def test_organization_matching_is_exact(emu):
    admin = httpx.get(f"{emu.base_url}/organizationX", headers={"Authorization": f"Bearer {emu.admin_key}"})
    assert admin.status_code == 403 and "Admin API keys" in admin.json()["error"]["message"]
    project = httpx.get(f"{emu.base_url}/organizationX", headers={"Authorization": f"Bearer {emu.api_key}"})
    assert project.status_code == 404
