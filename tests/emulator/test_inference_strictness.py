"""Direct chat, completion and embedding calls, and each batch line, are checked as the API checks them."""

from __future__ import annotations

import io
import json

import httpx
import pytest

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
COMPLETION = {"model": "gpt-3.5-turbo-instruct", "prompt": "hi"}
EMBEDDING = {"model": "text-embedding-3-small", "input": "hi"}


@pytest.fixture
def api(emu):
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.api_key}"}) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "body", "status", "param", "code"),
    [
        ("/chat/completions", {**CHAT, "temperature": 7}, 400, "temperature", "decimal_above_max_value"),
        ("/chat/completions", {**CHAT, "n": "two"}, 400, "n", "invalid_type"),
        ("/chat/completions", {**CHAT, "n": True}, 400, "n", "invalid_type"),
        ("/chat/completions", {**CHAT, "max_tokens": -1}, 400, "max_tokens", "integer_below_min_value"),
        ("/chat/completions", {**CHAT, "top_p": 2}, 400, "top_p", "decimal_above_max_value"),
        ("/chat/completions", {**CHAT, "messages": "hi"}, 400, "messages", "invalid_type"),
        ("/chat/completions", {**CHAT, "messages": []}, 400, "messages", "empty_array"),
        (
            "/chat/completions",
            {**CHAT, "messages": [{"role": "bot"}]},
            400,
            "messages[0].role",
            "invalid_value",
        ),
        (
            "/chat/completions",
            {**CHAT, "response_format": {"type": "nonsense"}},
            400,
            "response_format.type",
            "invalid_value",
        ),
        ("/chat/completions", {"messages": CHAT["messages"]}, 400, "model", "missing_required_parameter"),
        ("/chat/completions", {**CHAT, "model": "gpt-nope"}, 404, "model", "model_not_found"),
        ("/completions", {**COMPLETION, "temperature": "hot"}, 400, "temperature", "invalid_type"),
        ("/completions", {**COMPLETION, "prompt": {"a": 1}}, 400, "prompt", "invalid_type"),
        ("/completions", {**COMPLETION, "model": "davinci-999"}, 404, "model", "model_not_found"),
        ("/embeddings", {**EMBEDDING, "dimensions": True}, 400, "dimensions", "invalid_type"),
        ("/embeddings", {**EMBEDDING, "input": [1.5]}, 400, "input", "invalid_type"),
        ("/embeddings", {**EMBEDDING, "encoding_format": "hex"}, 400, "encoding_format", "invalid_value"),
        ("/embeddings", {**EMBEDDING, "model": "embed-nope"}, 404, "model", "model_not_found"),
    ],
)
def test_a_bad_parameter_is_refused_with_the_api_envelope(api, path, body, status, param, code):
    answer = api.post(path, json=body)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param and error["code"] == code


@pytest.mark.parametrize(
    "body",
    [
        {**CHAT, "temperature": 0.2, "top_p": 1, "n": 1, "max_tokens": 5, "seed": 1, "service_tier": "auto"},
        {**CHAT, "model": "gpt-4o-mini-2024-07-18", "user": "u-1"},
        {
            **CHAT,
            "functions": [{"name": "f", "parameters": {"type": "object"}}],
            "function_call": {"name": "f"},
        },
    ],
)
def test_good_parameters_pass(api, body):
    """Unknown fields are refused (`test_unrecognized_fields`); every field of the spec passes."""
    answer = api.post("/chat/completions", json=body)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}},
        {"type": "object", "properties": {"a": {"type": "integer", "minimum": "x"}}},
        {"type": "nonsense"},
        {"type": "object", "properties": ["a"]},
        {"type": "array", "items": 5},
        {"enum": 3},
    ],
)
def test_a_schema_that_is_not_one_is_a_400_not_a_crash(api, schema):
    body = {
        **CHAT,
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}},
    }
    answer = api.post("/chat/completions", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["param"].startswith("response_format")


def test_bad_batch_lines_fail_with_the_api_error_and_good_ones_run(api, emu):
    bodies = [CHAT, {**CHAT, "temperature": 7}, {**CHAT, "model": "gpt-nope"}, {**CHAT, "n": "two"}]
    lines = [
        {"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions", "body": body}
        for i, body in enumerate(bodies)
    ]
    raw = "".join(json.dumps(line) + "\n" for line in lines).encode()
    batch = _chat_batch(api, raw)
    batch = emu.force_batch(batch["id"], "completed")
    assert batch["request_counts"] == {"total": 4, "completed": 1, "failed": 3}
    errors = [
        json.loads(line) for line in api.get(f"/files/{batch['error_file_id']}/content").text.splitlines()
    ]
    by_id = {line["custom_id"]: line["response"] for line in errors}
    assert by_id["r1"]["status_code"] == 400 and by_id["r1"]["body"]["error"]["param"] == "temperature"
    assert by_id["r2"]["status_code"] == 404 and by_id["r2"]["body"]["error"]["code"] == "model_not_found"
    assert by_id["r3"]["body"]["error"]["param"] == "n"


def test_a_custom_responder_decides_for_itself():
    from airflow_openai.emulator import Emulator

    def anything(url, body):
        return 200, {"echo": body}

    with Emulator(responder=anything) as emu:
        answer = httpx.post(
            f"{emu.base_url}/chat/completions",
            json={"model": "mine", "temperature": 7},
            headers={"Authorization": f"Bearer {emu.api_key}"},
        )
    assert answer.status_code == 200 and answer.json() == {"echo": {"model": "mine", "temperature": 7}}


@pytest.mark.parametrize(
    "raw",
    [
        b'{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}], "temperature": NaN}}\n',
        b'{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "caf\xe9"}]}}\n',
    ],
)
def test_a_line_that_is_not_json_fails_the_batch(api, emu, raw):
    batch = _chat_batch(api, raw)
    emu.advance(60)
    batch = api.get(f"/batches/{batch['id']}").json()
    assert batch["status"] == "failed"
    assert (
        batch["errors"]["data"][0]["code"] == "invalid_json_line" and batch["errors"]["data"][0]["line"] == 1
    )


def test_the_models_the_responder_knows_are_the_ones_listed(api):
    from airflow_openai.emulator.core.model_names import KNOWN_MODELS
    from airflow_openai.emulator.inference.catalog import CREATED, IMAGE, MODERATION, SPEECH, TRANSCRIPTION

    assert set(CREATED) == set(KNOWN_MODELS) | {*MODERATION, *IMAGE, *SPEECH, *TRANSCRIPTION}
    assert {model["id"] for model in api.get("/models").json()["data"]} == set(CREATED)


def _chat_batch(api, raw: bytes) -> dict:
    """A chat batch over `raw` as its input file, through the emulator's own routes."""
    source = api.post(
        "/files", files={"file": ("in.jsonl", io.BytesIO(raw))}, data={"purpose": "batch"}
    ).json()
    return api.post(
        "/batches",
        json={"input_file_id": source["id"], "endpoint": "/v1/chat/completions", "completion_window": "24h"},
    ).json()
