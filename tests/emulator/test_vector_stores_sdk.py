"""The official `openai` SDK's vector store calls work against the emulator, its polling helpers
included: stores, their files and file batches, in real time at the emulator's default speed."""

from __future__ import annotations

import io
import time

import pytest

openai = pytest.importorskip("openai", reason="the official openai SDK is in the dev group")

POLL_MS = 50


@pytest.fixture
def client(emu):
    with openai.OpenAI(api_key=emu.api_key, base_url=emu.base_url, max_retries=0) as client:
        yield client


def _upload(client, name: str, content: bytes = b"The quick brown fox.\n" * 40) -> str:
    return client.files.create(file=(name, io.BytesIO(content)), purpose="assistants").id


def test_the_sdk_creates_modifies_lists_and_deletes_stores(client, emu):
    notes = _upload(client, "notes.md")
    store = client.vector_stores.create(
        name="Support FAQ",
        description="answers for the help desk",
        file_ids=[notes],
        chunking_strategy={"type": "auto"},
        expires_after={"anchor": "last_active_at", "days": 7},
        metadata={"team": "support"},
    )
    assert store.object == "vector_store" and store.name == "Support FAQ"
    assert store.expires_after is not None and store.expires_after.days == 7
    assert store.expires_at == store.last_active_at + 7 * 86400
    assert store.file_counts.total == 1 and store.metadata == {"team": "support"}

    emu.advance(10)
    store = client.vector_stores.retrieve(store.id)
    assert store.status == "completed" and store.file_counts.completed == 1 and store.usage_bytes > 0

    changed = client.vector_stores.update(store.id, name="FAQ", expires_after=None, metadata={"team": "docs"})
    assert changed.name == "FAQ" and changed.expires_after is None and changed.expires_at is None
    assert changed.metadata == {"team": "docs"}

    others = [client.vector_stores.create(name=f"other {n}").id for n in range(3)]
    listed = [item.id for item in client.vector_stores.list(limit=2)]
    assert listed == [*reversed(others), store.id]
    assert [item.id for item in client.vector_stores.list(order="asc", limit=10)] == [store.id, *others]

    deleted = client.vector_stores.delete(store.id)
    assert deleted.deleted is True and deleted.object == "vector_store.deleted"
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.retrieve(store.id)
    assert client.files.retrieve(notes).id == notes


def test_the_sdk_attaches_polls_lists_and_detaches_files(client, emu):
    store = client.vector_stores.create(name="kb")
    notes = _upload(client, "notes.md")
    attached = client.vector_stores.files.create(
        vector_store_id=store.id, file_id=notes, attributes={"lang": "en", "rank": 2}
    )
    assert attached.status == "in_progress" and attached.attributes == {"lang": "en", "rank": 2}
    assert attached.chunking_strategy is not None and attached.chunking_strategy.type == "static"

    done = client.vector_stores.files.poll(notes, vector_store_id=store.id, poll_interval_ms=POLL_MS)
    assert done.status == "completed" and done.last_error is None and done.usage_bytes > 0

    sheet = client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=("sheet.csv", io.BytesIO(b"a,b\n1,2\n")), poll_interval_ms=POLL_MS
    )
    assert sheet.status == "failed" and sheet.last_error is not None
    assert sheet.last_error.code == "unsupported_file"

    static = {"type": "static", "static": {"max_chunk_size_tokens": 400, "chunk_overlap_tokens": 100}}
    guide = client.vector_stores.files.create_and_poll(
        file_id=_upload(client, "guide.md"),
        vector_store_id=store.id,
        chunking_strategy=static,
        poll_interval_ms=POLL_MS,
    )
    assert guide.status == "completed" and guide.chunking_strategy.static.max_chunk_size_tokens == 400

    completed = [
        item.id for item in client.vector_stores.files.list(vector_store_id=store.id, filter="completed")
    ]
    assert completed == [guide.id, notes]
    failed = list(client.vector_stores.files.list(vector_store_id=store.id, filter="failed"))
    assert [item.id for item in failed] == [sheet.id]
    everything = [item.id for item in client.vector_stores.files.list(vector_store_id=store.id, limit=1)]
    assert everything == [guide.id, sheet.id, notes]

    gone = client.vector_stores.files.delete(notes, vector_store_id=store.id)
    assert gone.deleted is True and gone.object == "vector_store.file.deleted"
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.files.retrieve(notes, vector_store_id=store.id)
    assert client.vector_stores.retrieve(store.id).file_counts.total == 2

    with pytest.raises(openai.BadRequestError) as refused:
        client.vector_stores.files.create(vector_store_id=store.id, file_id=_upload_batch_file(client))
    assert "purpose 'batch'" in refused.value.message


def _upload_batch_file(client) -> str:
    return client.files.create(file=("in.jsonl", io.BytesIO(b'{"custom_id": "1"}\n')), purpose="batch").id


def test_the_sdk_runs_file_batches_to_the_end_with_its_polling_helpers(client, emu):
    store = client.vector_stores.create(name="batches")
    ids = [_upload(client, f"doc-{n}.txt") for n in range(30)]

    started = time.monotonic()
    batch = client.vector_stores.file_batches.create_and_poll(
        vector_store_id=store.id, file_ids=ids, poll_interval_ms=POLL_MS
    )
    assert time.monotonic() - started < 10
    assert batch.object == "vector_store.files_batch" and batch.status == "completed"
    assert batch.file_counts.completed == 30 and batch.file_counts.in_progress == 0
    assert (
        client.vector_stores.file_batches.retrieve(batch.id, vector_store_id=store.id).status == "completed"
    )
    files = list(client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id, limit=7))
    assert sorted(item.id for item in files) == sorted(ids)

    uploaded = client.vector_stores.file_batches.upload_and_poll(
        store.id,
        files=[(f"page-{n}.md", io.BytesIO(b"# Page\nSome words.\n")) for n in range(4)],
        file_ids=ids[:2],
        poll_interval_ms=POLL_MS,
    )
    assert uploaded.status == "completed" and uploaded.file_counts.total == 6
    assert client.vector_stores.retrieve(store.id).file_counts.completed == 34

    with pytest.raises(openai.BadRequestError) as too_many:
        client.vector_stores.file_batches.create(vector_store_id=store.id, file_ids=ids * 17)
    assert too_many.value.body["code"] == "array_above_max_length"


def test_the_sdk_cancels_a_file_batch(client, emu):
    emu.set_speed(0)
    store = client.vector_stores.create(name="cancel")
    ids = [_upload(client, f"doc-{n}.txt") for n in range(12)]
    batch = client.vector_stores.file_batches.create(vector_store_id=store.id, file_ids=ids)

    cancelling = client.vector_stores.file_batches.cancel(batch.id, vector_store_id=store.id)
    assert cancelling.status == "cancelling"
    emu.advance(5)
    cancelled = client.vector_stores.file_batches.retrieve(batch.id, vector_store_id=store.id)
    assert cancelled.status == "cancelled" and cancelled.file_counts.cancelled == 4
    listed = client.vector_stores.file_batches.list_files(
        batch.id, vector_store_id=store.id, filter="cancelled"
    )
    assert len(list(listed)) == 4
