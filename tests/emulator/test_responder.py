"""The built-in model: deterministic, honest about formats, and replaceable."""

from __future__ import annotations

import io
import json
import math
import sys
import textwrap

import jsonschema
import pytest

from airflow_openai.emulator.inference.responder import default_responder, load_responder
from tests.support.batches import jsonl, read_jsonl, wait_for

SCHEMA = {
    "type": "object",
    "properties": {
        "sentiment": {"type": "string", "enum": ["positive", "negative", "neutral"]},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "tags": {"type": "array", "items": {"type": "string"}},
        "source": {"$ref": "#/$defs/source"},
    },
    "required": ["sentiment", "score", "tags", "source"],
    "additionalProperties": False,
    "$defs": {
        "source": {
            "type": "object",
            "properties": {"id": {"type": "integer"}},
            "required": ["id"],
            "additionalProperties": False,
        }
    },
}


CHAT = "/v1/chat/completions"


def _chat(**body):
    return default_responder(
        "/v1/chat/completions",
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Great product"}], **body},
    )


def test_same_input_same_output():
    assert _chat() == _chat()
    assert (
        _chat()[1]["choices"][0]["message"]["content"]
        != default_responder(
            "/v1/chat/completions",
            {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Other"}]},
        )[1]["choices"][0]["message"]["content"]
    )


def test_json_schema_answers_validate_against_the_schema():
    status, body = _chat(
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "review", "schema": SCHEMA, "strict": True},
        }
    )
    assert status == 200
    jsonschema.validate(json.loads(body["choices"][0]["message"]["content"]), SCHEMA)


def test_json_object_answers_are_objects():
    messages = [{"role": "user", "content": "Rate this product as JSON: great product"}]
    _, body = _chat(messages=messages, response_format={"type": "json_object"})
    assert isinstance(json.loads(body["choices"][0]["message"]["content"]), dict)


def test_json_mode_without_asking_for_json_is_refused_as_the_api_does():
    from airflow_openai.batch.requests import InvalidBatchInput, checked, from_requests

    status, body = _chat(response_format={"type": "json_object"})
    assert status == 400 and body["error"]["param"] == "messages" and "'json'" in body["error"]["message"]
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    with pytest.raises(
        InvalidBatchInput, match="line 1: body.messages: 'messages' must contain the word 'json'"
    ):
        list(checked(from_requests([{**request, "response_format": {"type": "json_object"}}], CHAT), CHAT))


def test_embeddings_are_unit_vectors_of_the_models_dimension():
    _, body = default_responder("/v1/embeddings", {"model": "text-embedding-3-small", "input": ["a", "b"]})
    vectors = [item["embedding"] for item in body["data"]]
    assert [len(v) for v in vectors] == [1536, 1536]
    assert all(math.isclose(math.sqrt(sum(x * x for x in v)), 1.0, rel_tol=1e-9) for v in vectors)
    _, small = default_responder(
        "/v1/embeddings", {"model": "text-embedding-3-large", "input": "a", "dimensions": 64}
    )
    assert len(small["data"][0]["embedding"]) == 64


def test_invalid_bodies_get_a_per_line_error():
    status, body = default_responder("/v1/embeddings", {"model": "text-embedding-3-small"})
    assert status == 400 and body["error"]["param"] == "input"


def test_a_plugged_in_responder_answers_batch_lines(tmp_path, monkeypatch):
    (tmp_path / "my_model.py").write_text(
        textwrap.dedent(
            """
            def answer(url, body):
                return 200, {"object": "chat.completion", "choices": [{"message": {"content": body["messages"][0]["content"].upper()}}]}
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    responder = load_responder("my_model:answer")

    from airflow_openai.client.settings import ClientSettings
    from airflow_openai.emulator import Emulator
    from airflow_openai.hooks.openai import OpenAIHook

    with Emulator(responder=responder) as emu:
        hook = OpenAIHook(settings=ClientSettings(api_key=emu.api_key, base_url=emu.base_url))
        lines = [
            {
                "custom_id": "a",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {"model": "m", "messages": [{"role": "user", "content": "shout"}]},
            }
        ]
        source = hook.create_file(jsonl(lines), "batch", "in.jsonl")
        batch = wait_for(hook, hook.create_batch(source.id, "/v1/chat/completions").id)
        sink = io.BytesIO()
        hook.download_file(batch.output_file_id, sink)
        hook.close()
    assert read_jsonl(sink.getvalue())[0]["response"]["body"]["choices"][0]["message"]["content"] == "SHOUT"
    sys.modules.pop("my_model", None)


def test_upstream_mode_forwards_lines_to_another_openai_compatible_server():
    from airflow_openai.client.settings import ClientSettings
    from airflow_openai.emulator import Emulator
    from airflow_openai.emulator.inference.responder import upstream_responder
    from airflow_openai.hooks.openai import OpenAIHook

    request = {"model": "text-embedding-3-small", "input": "x", "dimensions": 8}
    with Emulator() as upstream_server:
        forward = upstream_responder(upstream_server.base_url, upstream_server.api_key)
        with Emulator(responder=forward) as emu:
            hook = OpenAIHook(settings=ClientSettings(api_key=emu.api_key, base_url=emu.base_url))
            lines = [{"custom_id": "e", "method": "POST", "url": "/v1/embeddings", "body": request}]
            source = hook.create_file(jsonl(lines), "batch", "in.jsonl")
            batch = wait_for(hook, hook.create_batch(source.id, "/v1/embeddings").id)
            sink = io.BytesIO()
            hook.download_file(batch.output_file_id, sink)
            hook.close()
    assert (
        read_jsonl(sink.getvalue())[0]["response"]["body"] == default_responder("/v1/embeddings", request)[1]
    )


def test_an_unreachable_upstream_fails_the_line_not_the_batch():
    from airflow_openai.emulator import Emulator
    from airflow_openai.emulator.inference.responder import upstream_responder

    with Emulator() as gone:
        port = gone.port
    status, body = upstream_responder(f"http://127.0.0.1:{port}/v1")("/v1/chat/completions", {})
    assert status == 502 and "unreachable" in body["error"]["message"]
