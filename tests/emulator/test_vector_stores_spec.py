"""Every vector store answer of the emulator, success or error, validates against the spec's schema for its
path and status."""

from __future__ import annotations

import io

import httpx
import pytest

from tests.support.conformance import checked_client


@pytest.fixture
def checked(emu):
    """A client of the emulator whose every answer is checked against the spec."""
    emu.set_speed(0)
    with checked_client(emu) as (client, checker):
        yield client, checker


def _upload(emu, name: str, content: bytes) -> str:
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.api_key}"}) as plain:
        response = plain.post(
            "/files", files={"file": (name, io.BytesIO(content))}, data={"purpose": "assistants"}
        )
    return response.json()["id"]


def test_vector_store_answers_validate_against_the_spec(checked, emu):
    client, checker = checked
    notes = _upload(emu, "notes.md", b"# Notes\nSome text.\n" * 50)
    sheet = _upload(emu, "sheet.csv", b"a,b\n1,2\n")
    parts = [_upload(emu, f"part-{n}.txt", b"words " * 200) for n in range(12)]
    static = {"type": "static", "static": {"max_chunk_size_tokens": 600, "chunk_overlap_tokens": 300}}

    store = client.post(
        "vector_stores",
        json={
            "name": "kb",
            "file_ids": [notes, sheet],
            "chunking_strategy": static,
            "expires_after": {"anchor": "last_active_at", "days": 3},
            "metadata": {"team": "docs"},
        },
    ).json()
    bare = client.post("vector_stores", json={}).json()
    path = f"vector_stores/{store['id']}"
    client.get(path)
    client.get(f"{path}/files")
    client.get(f"{path}/files/{notes}")
    emu.advance(5)
    client.get(path)
    client.get(f"{path}/files/{notes}")
    client.get(f"{path}/files/{sheet}")
    client.get(f"{path}/files", params={"filter": "failed", "limit": 1})
    client.get(f"{path}/files", params={"filter": "cancelled"})
    client.get(f"vector_stores/{bare['id']}")
    client.get("vector_stores", params={"limit": 1, "order": "asc"})
    client.post(path, json={"name": "kb v2", "expires_after": None})

    batch = client.post(f"{path}/file_batches", json={"file_ids": parts}).json()
    client.get(f"{path}/file_batches/{batch['id']}")
    client.post(f"{path}/file_batches/{batch['id']}/cancel")
    emu.advance(5)
    client.get(f"{path}/file_batches/{batch['id']}")
    client.get(f"{path}/file_batches/{batch['id']}/files", params={"filter": "cancelled", "limit": 2})
    done = client.post(f"{path}/file_batches", json={"file_ids": [notes]}).json()
    client.get(f"{path}/file_batches/{done['id']}")
    client.post(f"{path}/files", json={"file_id": _upload(emu, "more.md", b"more text")})
    client.delete(f"{path}/files/{notes}")
    client.delete(f"vector_stores/{bare['id']}")

    client.get("vector_stores/vs_missing")
    client.get(f"{path}/files/file-missing")
    client.get(f"{path}/file_batches/vsfb_missing")
    client.post(f"{path}/file_batches/{done['id']}/cancel")
    client.post("vector_stores", json={"file_ids": ["file-missing"]})
    client.post(f"{path}/files", json={"file_id": "file-missing"})
    client.post(f"{path}/file_batches", json={"file_ids": parts * 42})
    client.post(path, json={"expires_after": {"anchor": "last_active_at", "days": 0}})
    client.get("vector_stores", params={"limit": 0})

    checker.assert_covers("vector_stores")
    assert len(checker.covered()) == 13  # every vector store operation of the spec
    assert checker.statuses() == {200, 400, 404}


def test_optional_fields_sent_as_null_are_not_echoed_as_null(checked, emu):
    client, checker = checked
    notes = _upload(emu, "notes.md", b"# Notes\nSome text.\n")
    nulls = {
        "name": None,
        "description": None,
        "expires_after": None,
        "chunking_strategy": None,
        "metadata": None,
    }
    store = client.post("vector_stores", json={"file_ids": [notes], **nulls}).json()
    path = f"vector_stores/{store['id']}"
    client.post(path, json={"name": None, "expires_after": None, "metadata": None})
    other = _upload(emu, "other.md", b"more text")
    client.post(f"{path}/files", json={"file_id": other, "chunking_strategy": None, "attributes": None})
    batch = client.post(
        f"{path}/file_batches",
        json={
            "files": [{"file_id": notes, "chunking_strategy": None, "attributes": None}],
            "attributes": None,
        },
    ).json()
    emu.advance(5)
    client.get(f"{path}/files/{other}")
    client.get(f"{path}/file_batches/{batch['id']}/files")
    client.get(f"{path}/files")
    assert checker.statuses() == {200}
