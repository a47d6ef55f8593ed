"""A body field the API description does not define is refused, as the service refuses it: by direct calls
and by each batch line; a field the emulator is told to take (`accept_fields`, `--accept-field`) passes."""

from __future__ import annotations

import io
import json

import httpx
import pytest

from airflow_openai.emulator.inference.params import FIELDS
from tests.support.spec import load_spec, spec_path

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
COMPLETION = {"model": "gpt-3.5-turbo-instruct", "prompt": "hi"}
EMBEDDING = {"model": "text-embedding-3-small", "input": "hi"}
REQUEST_SCHEMAS = {
    "/v1/chat/completions": "CreateChatCompletionRequest",
    "/v1/completions": "CreateCompletionRequest",
    "/v1/embeddings": "CreateEmbeddingRequest",
}


def _post(base_url: str, key: str, path: str, body: dict) -> httpx.Response:
    return httpx.post(f"{base_url}{path}", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30)


@pytest.mark.skipif(spec_path() is None, reason="the OpenAI spec is not beside the checkout")
@pytest.mark.parametrize("url", list(REQUEST_SCHEMAS))
def test_the_fields_taken_are_those_the_spec_defines(url):
    schema = load_spec()["components"]["schemas"][REQUEST_SCHEMAS[url]]
    assert set(FIELDS[url]) == set(schema["properties"])


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/chat/completions", {**CHAT, "review_id": 5}),
        ("/completions", {**COMPLETION, "review_id": 5}),
        ("/embeddings", {**EMBEDDING, "review_id": 5}),
        (
            "/chat/completions",
            {**CHAT, "review_id": 5, "temperature": "hot"},
        ),  # unknown first, as the service
    ],
)
def test_an_unknown_field_is_refused_naming_it(emu, path, body):
    answer = _post(emu.base_url, emu.api_key, path, body)

    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == {
        "message": "Unrecognized request argument supplied: review_id",
        "type": "invalid_request_error",
        "param": "review_id",
        "code": None,
    }


def test_a_batch_line_with_an_unknown_field_fails_with_that_error_and_the_others_run(emu):
    lines = [
        {"custom_id": "good", "method": "POST", "url": "/v1/chat/completions", "body": CHAT},
        {
            "custom_id": "mine",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {**CHAT, "review_id": 5},
        },
    ]
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    with httpx.Client(base_url=emu.base_url, headers=headers) as api:
        raw = "".join(json.dumps(line) + "\n" for line in lines).encode()
        source = api.post("/files", files={"file": ("in.jsonl", io.BytesIO(raw))}, data={"purpose": "batch"})
        batch = api.post(
            "/batches",
            json={
                "input_file_id": source.json()["id"],
                "endpoint": "/v1/chat/completions",
                "completion_window": "24h",
            },
        ).json()
        batch = emu.force_batch(batch["id"], "completed")
        errors = [
            json.loads(line) for line in api.get(f"/files/{batch['error_file_id']}/content").text.splitlines()
        ]

    assert batch["request_counts"] == {"total": 2, "completed": 1, "failed": 1}
    (failed,) = errors
    assert failed["custom_id"] == "mine" and failed["response"]["status_code"] == 400
    assert (
        failed["response"]["body"]["error"]["message"] == "Unrecognized request argument supplied: review_id"
    )
    assert failed["response"]["body"]["error"]["param"] == "review_id"


def test_a_field_the_emulator_is_told_to_take_passes_and_no_other():
    from airflow_openai.emulator import Emulator

    with Emulator(accept_fields=["reasoning_effort"]) as emu:
        taken = _post(emu.base_url, emu.api_key, "/chat/completions", {**CHAT, "reasoning_effort": "low"})
        other = _post(emu.base_url, emu.api_key, "/chat/completions", {**CHAT, "store": True})

    assert taken.status_code == 200, taken.text
    assert other.status_code == 400 and other.json()["error"]["param"] == "store"


def test_accept_fields_is_for_the_built_in_model_only():
    from airflow_openai.emulator import Emulator

    with pytest.raises(ValueError, match="a responder of your own decides for itself"):
        Emulator(responder=lambda url, body: (200, {}), accept_fields=["x"])


def test_the_command_takes_fields_it_is_told_to(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from airflow_openai.emulator import server

    served = {}
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **options: served.update(app=app))
    server.main(
        ["--data-dir", str(tmp_path), "--accept-field", "reasoning_effort", "--accept-field", "store"]
    )

    headers = {"Authorization": f"Bearer {server.PROJECT_KEY}"}
    with TestClient(served["app"]) as api:
        taken = api.post(
            "/v1/chat/completions", json={**CHAT, "reasoning_effort": "low", "store": True}, headers=headers
        )
        other = api.post("/v1/chat/completions", json={**CHAT, "verbosity": "low"}, headers=headers)

    assert taken.status_code == 200, taken.text
    assert other.status_code == 400 and other.json()["error"]["param"] == "verbosity"
