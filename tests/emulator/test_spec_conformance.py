"""Every kind of emulator answer validates against the spec's response schema for its path and status."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from tests.support.batches import chat_line
from tests.support.spec import load_spec, response_validator, spec_operation

# Faults of the spec itself, not of the emulator: each is left out of the check, with the reason.
SPEC_DEFECTS = {
    (
        "Upload",
        "'step_number' is a required property",
    ): "Upload lists step_number as required but never defines it",
}


@pytest.fixture
def checked(emu):
    """An httpx client to the emulator whose every JSON answer is checked against the spec."""
    spec = load_spec()
    validators: dict[str, object] = {}
    checked_paths: list[str] = []

    def check(response: httpx.Response) -> None:
        response.read()
        template, operation = spec_operation(spec, response.request.method, response.request.url.path)
        status = str(response.status_code)
        if status.startswith("2"):
            content = (
                operation["responses"].get(status, operation["responses"].get("200", {})).get("content", {})
            )
            ref = content.get("application/json", {}).get("schema", {}).get("$ref")
            if ref is None:  # file content: no JSON schema
                return
            name = ref.rsplit("/", 1)[-1]
        else:
            name = "ErrorResponse"
        validator = validators.setdefault(name, response_validator(spec, name))
        errors = [e for e in validator.iter_errors(response.json()) if (name, e.message) not in SPEC_DEFECTS]
        assert not errors, (
            f"{response.request.method} {template} -> {status} breaks {name}: {errors[0].message} at {list(errors[0].absolute_path)}"
        )
        assert response.headers["x-request-id"].startswith("req_")
        checked_paths.append(f"{response.request.method} {template} {status}")

    client = httpx.Client(
        base_url=emu.base_url + "/",
        headers={"Authorization": f"Bearer {emu.api_key}"},
        event_hooks={"response": [check]},
    )
    yield client, checked_paths
    client.close()


def test_responses_validate_against_the_spec(checked, emu):
    client, seen = checked
    lines = "".join(json.dumps(chat_line(n)) + "\n" for n in range(3)).encode()

    created = client.post("files", files={"file": ("in.jsonl", lines)}, data={"purpose": "batch"}).json()
    client.get("files", params={"purpose": "batch"})
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
        "uploads", json={"filename": "v.jsonl", "purpose": "batch", "bytes": 9, "mime_type": "text/jsonl"}
    ).json()
    client.post(f"uploads/{other['id']}/cancel")

    batch = client.post(
        "batches",
        json={"input_file_id": created["id"], "endpoint": "/v1/chat/completions", "completion_window": "24h"},
    ).json()
    client.get(f"batches/{batch['id']}")
    emu.force_batch(batch["id"], "completed")
    client.get(f"batches/{batch['id']}")
    second = client.post(
        "batches",
        json={"input_file_id": created["id"], "endpoint": "/v1/chat/completions", "completion_window": "24h"},
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
    client.get("batches", params={"limit": 2})

    client.get("models")
    client.get("models/gpt-4o-mini")
    client.delete(f"files/{created['id']}")

    client.get("batches/batch_missing")
    client.post("batches", json={"endpoint": "/v1/chat/completions"})
    client.post("files", data={"purpose": "batch"})
    client.post(
        "uploads", json={"filename": "x", "purpose": "nonsense", "bytes": 1, "mime_type": "text/plain"}
    )

    assert {entry.rsplit(" ", 1)[-1] for entry in seen} == {"200", "400", "404"}
    assert len(seen) >= 24
