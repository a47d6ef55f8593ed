"""Ids cannot steer a request elsewhere, keys never follow a redirect, and every failure is an OpenAIError."""

from __future__ import annotations

import pytest

from airflow_openai.client import InvalidResponseError, OpenAIError
from airflow_openai.client.calls import ApiCall
from tests.support.clients import hook_for
from tests.support.keys import ADMIN_KEY, PROJECT_KEY
from tests.support.scripted_server import Reply


@pytest.mark.parametrize("bad", [".", "..", " .. ", ""])
def test_ids_that_would_change_the_path_are_refused_before_any_request(server, bad):
    hook = hook_for(server.base_url)
    with pytest.raises(ValueError, match="id"):
        hook.delete_vector_store_file(bad, "file-abc")
    with pytest.raises(ValueError, match="id"):
        hook.get_batch(bad)
    assert server.seen == []


def test_an_id_is_exactly_one_path_segment(server):
    server.queue("GET", "/v1/batches/a%2F..%2Ffiles", Reply(200, {"id": "x"}))
    hook = hook_for(server.base_url)
    with pytest.raises(OpenAIError):
        hook.get_batch("a/../files")
    (seen,) = server.seen
    assert seen.path in ("/v1/batches/a/../files", "/v1/batches/a%2F..%2Ffiles")
    assert seen.path != "/v1/files", "a slash in an id must not reach another resource"


def test_a_redirect_is_not_followed_and_no_key_leaves(server):
    server.queue(
        "GET", "/v1/batches/batch_1", Reply(307, {}, headers={"location": "http://127.0.0.1:9/steal"})
    )

    with pytest.raises(InvalidResponseError, match="not followed") as raised:
        hook_for(server.base_url).get_batch("batch_1")

    assert raised.value.status_code == 307 and len(server.seen) == 1


def test_the_admin_key_goes_only_to_organization_paths(server):
    for path in ("/v1/organization/users", "/v1/organizationX", "/v1/files"):
        server.queue("GET", path, Reply(200, {"object": "list", "data": [], "has_more": False}))
    hook = hook_for(server.base_url)
    for path in ("/organization/users", "/organizationX", "/files"):
        list(hook.run_call(ApiCall("GET", path, dict, paginated=True)))

    keys = {seen.path: seen.headers["authorization"] for seen in server.seen}
    assert keys == {
        "/v1/organization/users": f"Bearer {ADMIN_KEY}",
        "/v1/organizationX": f"Bearer {PROJECT_KEY}",
        "/v1/files": f"Bearer {PROJECT_KEY}",
    }
    assert "openai-project" not in server.seen[0].headers


@pytest.mark.parametrize(
    "body",
    [b"<html>Bad gateway</html>", b'{"id": 1}', b'{"object": "list", "data": "nope"}'],
    ids=["not json", "not a batch", "data not a list"],
)
def test_an_answer_that_cannot_be_read_is_an_openai_error_with_the_request_id(server, body):
    server.queue("GET", "/v1/batches/batch_1", Reply(200, body=body))
    server.queue("GET", "/v1/batches", Reply(200, body=body))
    hook = hook_for(server.base_url)

    with pytest.raises(InvalidResponseError) as raised:
        hook.get_batch("batch_1") if b"list" not in body else list(hook.list_batches())

    assert raised.value.request_id and raised.value.request_id.startswith("req_")
    assert raised.value.status_code == 200 and "/batches" in str(raised.value)
