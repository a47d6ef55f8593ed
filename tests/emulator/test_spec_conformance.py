"""Every API operation the emulator serves answers what the spec allows: each route group's scenario drives
its operations through a client that validates every answer (see `tests.support.conformance`), and asserts
all of them got a checked success. Here: files and uploads, batches, models and inference, and the check
that every served operation belongs to a group. The other groups: `test_fine_tuning_spec`,
`test_vector_stores_spec`, `test_runs_spec` (assistants) and `test_organization_spec`.

Streamed answers (`stream: true` on chat and completions) are checked chunk by chunk against the stream's
schema, and must end with `[DONE]`. Moderations, images and audio: `test_inference_spec`.
"""

from __future__ import annotations

import hashlib

import httpx
import pytest

from tests.support.batches import chat_line
from tests.support.conformance import GROUPS, checked_client, group_of, served_operations
from tests.support.fine_tuning import jsonl_bytes, records
from tests.support.spec import load_spec


@pytest.fixture
def checked(emu):
    emu.set_speed(0)
    with checked_client(emu) as (client, checker):
        yield client, checker


def _fine_tuned_model(emu) -> str:
    """A model made by fine-tuning, through a client that does not check (fine-tuning is checked on its own)."""
    with httpx.Client(
        base_url=emu.base_url + "/", headers={"Authorization": f"Bearer {emu.api_key}"}
    ) as plain:
        content = jsonl_bytes(records(10))
        training = plain.post("files", files={"file": ("t.jsonl", content)}, data={"purpose": "fine-tune"})
        job = plain.post(
            "fine_tuning/jobs", json={"model": "gpt-4o-mini", "training_file": training.json()["id"]}
        )
    return emu.force_fine_tuning(job.json()["id"], "succeeded")["fine_tuned_model"]


def test_every_served_operation_of_the_spec_belongs_to_a_group():
    load_spec()  # skips, saying why, when the spec is absent
    served = served_operations()
    assert not {operation for operation in served if group_of(operation[1]) is None}
    assert {group_of(template) for _, template in served} == set(GROUPS)  # each group serves something
    schemas = load_spec()["components"]["schemas"].values()
    # the one defect no group can outgrow by itself: list schemas that require ids an empty list lacks
    assert any({"first_id", "last_id"} <= set(schema.get("required", [])) for schema in schemas)


def test_files_and_uploads_answer_what_the_spec_allows(checked):
    client, checker = checked
    lines = jsonl_bytes([chat_line(n) for n in range(3)])

    created = client.post("files", files={"file": ("in.jsonl", lines)}, data={"purpose": "batch"}).json()
    client.get("files", params={"purpose": "batch"})
    client.get("files", params={"purpose": "fine-tune"})  # empty
    client.get(f"files/{created['id']}")
    client.get(f"files/{created['id']}/content")

    upload = client.post(
        "uploads",
        json={"filename": "u.jsonl", "purpose": "batch", "bytes": len(lines), "mime_type": "text/jsonl"},
    ).json()
    part = client.post(f"uploads/{upload['id']}/parts", files={"data": ("part", lines)}).json()
    client.post(
        f"uploads/{upload['id']}/complete",
        json={"part_ids": [part["id"]], "md5": hashlib.md5(lines).hexdigest()},
    )
    other = client.post(
        "uploads",
        json={"filename": "v.jsonl", "purpose": "batch", "bytes": 9, "mime_type": "text/jsonl"},
    ).json()
    client.post(f"uploads/{other['id']}/cancel")
    unsigned = client.post(
        "uploads",
        json={"filename": "w.jsonl", "purpose": "batch", "bytes": len(lines), "mime_type": "text/jsonl"},
    ).json()
    part = client.post(f"uploads/{unsigned['id']}/parts", files={"data": ("part", lines)}).json()
    client.post(f"uploads/{unsigned['id']}/complete", json={"part_ids": [part["id"]], "md5": None})
    client.delete(f"files/{created['id']}")

    client.get("files/file-missing")
    client.delete("files/file-missing")
    client.post("files", data={"purpose": "batch"})
    client.post(
        "uploads", json={"filename": "x", "purpose": "nonsense", "bytes": 1, "mime_type": "text/plain"}
    )
    client.post(f"uploads/{other['id']}/parts", files={"data": ("part", lines)})  # cancelled

    checker.assert_covers("files")
    assert checker.statuses() == {200, 400, 404}


def test_batches_answer_what_the_spec_allows(checked, emu):
    client, checker = checked
    lines = jsonl_bytes([chat_line(n) for n in range(3)])
    created = client.post("files", files={"file": ("in.jsonl", lines)}, data={"purpose": "batch"}).json()
    client.get("batches")  # empty

    batch = client.post(
        "batches",
        json={
            "input_file_id": created["id"],
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
            "metadata": None,
        },
    ).json()
    client.get(f"batches/{batch['id']}")
    emu.force_batch(batch["id"], "completed")
    client.get(f"batches/{batch['id']}")
    second = client.post(
        "batches",
        json={
            "input_file_id": created["id"],
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
            "metadata": {"k": "v"},
        },
    ).json()
    client.post(f"batches/{second['id']}/cancel")
    invalid = client.post(
        "files", files={"file": ("bad.jsonl", b"{oops\n")}, data={"purpose": "batch"}
    ).json()
    failed = client.post(
        "batches",
        json={"input_file_id": invalid["id"], "endpoint": "/v1/chat/completions", "completion_window": "24h"},
    ).json()
    emu.advance(10)
    client.get(f"batches/{failed['id']}")
    expiring = client.post(
        "batches",
        json={"input_file_id": created["id"], "endpoint": "/v1/chat/completions", "completion_window": "24h"},
    ).json()
    emu.force_batch(expiring["id"], "expired")
    client.get(f"batches/{expiring['id']}")
    client.get("batches", params={"limit": 2})

    client.get("batches/batch_missing")
    client.post("batches", json={"endpoint": "/v1/chat/completions"})
    client.post(f"batches/{batch['id']}/cancel")  # completed
    client.get("batches", params={"limit": 0})

    checker.assert_covers("batches")
    assert checker.statuses() >= {200, 400, 404}


def test_models_and_inference_answer_what_the_spec_allows(checked, emu):
    client, checker = checked
    chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    client.post("chat/completions", json=chat)
    client.post(
        "chat/completions",
        json={
            **chat,
            "n": 2,
            "temperature": None,
            "seed": 7,
            "logprobs": True,
            "top_logprobs": 2,
            "response_format": {"type": "json_object"},
            "messages": [{"role": "system", "content": "Answer in JSON."}, *chat["messages"]],
        },
    )
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    client.post(
        "chat/completions",
        json={
            **chat,
            "response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": schema}},
        },
    )
    client.post("chat/completions", json={**chat, "max_completion_tokens": 1})  # cut short
    client.post("chat/completions", json={**chat, "stop": ["hi"]})
    tools = [{"type": "function", "function": {"name": "look_up", "parameters": schema, "strict": True}}]
    client.post("chat/completions", json={**chat, "tools": tools, "tool_choice": "required"})
    streamed = {**chat, "stream": True, "n": 2, "logprobs": True, "top_logprobs": 1}
    client.post("chat/completions", json={**streamed, "stream_options": {"include_usage": True}})
    client.post("chat/completions", json={**chat, "stream": True, "tools": tools, "tool_choice": "required"})
    client.post("completions", json={"model": "gpt-3.5-turbo-instruct", "prompt": "hi", "stream": True})
    client.post("completions", json={"model": "gpt-3.5-turbo-instruct", "prompt": "hi"})
    client.post(
        "completions",
        json={"model": "gpt-3.5-turbo-instruct", "prompt": ["a", "b"], "n": 2, "logprobs": 2, "suffix": None},
    )
    client.post("embeddings", json={"model": "text-embedding-3-small", "input": "hi"})
    client.post(
        "embeddings",
        json={"model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 8, "user": None},
    )
    client.post(
        "embeddings",
        json={"model": "text-embedding-3-small", "input": "hi", "encoding_format": "base64"},
    )

    client.get("models")
    client.get("models/gpt-4o-mini")
    tuned = _fine_tuned_model(emu)
    client.get(f"models/{tuned}")
    client.post("chat/completions", json={**chat, "model": tuned})
    client.delete(f"models/{tuned}")

    client.post("chat/completions", json={**chat, "temperature": 7})
    client.post("chat/completions", json={**chat, "tool_choice": "required"})  # no tools
    client.post("chat/completions", json={**chat, "stream_options": {"include_usage": True}})  # no stream
    client.post("embeddings", json={"model": "text-embedding-ada-002", "input": "hi", "dimensions": 8})
    client.post("chat/completions", json={**chat, "model": "gpt-nope"})
    client.post("completions", json={"model": "gpt-3.5-turbo-instruct"})
    client.post("embeddings", json={"model": "text-embedding-3-small", "input": [1.5]})
    client.get("models/gpt-nope")
    client.delete("models/gpt-4o-mini")
    client.delete(f"models/{tuned}")

    checker.assert_covers("inference")
    assert checker.statuses() == {200, 400, 403, 404}
