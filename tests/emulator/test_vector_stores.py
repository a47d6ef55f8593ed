"""Vector stores in the emulator: stores whose counts, usage and status follow their files on the emulator
clock, files that complete or fail with the service's `last_error`, file batches of up to 500 that can be
cancelled, cursor listings with status filters, expiry after inactivity, and what deleting leaves behind."""

from __future__ import annotations

import io
import random

import httpx
import pytest

from airflow_openai.emulator.vector_stores.vector_store_lifecycle import (
    CANCELLING_SECONDS,
    LANES,
    OPEN_SECONDS,
    SECONDS_PER_KB,
)

DAY = 86400
AUTO_CHUNKING = {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}


@pytest.fixture
def api(emu):
    """A client of the emulator's API, with its clock stopped: time moves only when a test advances it."""
    emu.set_speed(0)
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.api_key}"}) as client:
        yield client


def upload(api: httpx.Client, name: str, content: bytes, purpose: str = "assistants") -> str:
    response = api.post("/files", files={"file": (name, io.BytesIO(content))}, data={"purpose": purpose})
    assert response.status_code == 200, response.text
    return response.json()["id"]


def text(kb: float) -> bytes:
    return b"searchable text\n" * int(kb * 64)


def ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def refused(response: httpx.Response, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


def new_store(api: httpx.Client, **body) -> dict:
    return ok(api.post("/vector_stores", json=body))


def store(api: httpx.Client, store_id: str) -> dict:
    return ok(api.get(f"/vector_stores/{store_id}"))


def attached(api: httpx.Client, store_id: str, file_id: str) -> dict:
    return ok(api.get(f"/vector_stores/{store_id}/files/{file_id}"))


def counts(**given: int) -> dict:
    base = {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0}
    return {**base, **given, "total": sum(given.values())}


def test_a_store_follows_its_files_as_they_are_processed(api, emu):
    small = upload(api, "faq.md", text(1))
    big = upload(api, "manual.txt", text(500))
    created = new_store(api, name="Support FAQ", file_ids=[small, big], metadata={"team": "support"})
    assert created["id"].startswith("vs_") and created["object"] == "vector_store"
    assert created["status"] == "in_progress" and created["file_counts"] == counts(in_progress=2)
    assert created["usage_bytes"] == 0 and created["metadata"] == {"team": "support"}
    assert created["last_active_at"] == created["created_at"]
    assert created["expires_at"] is None and "expires_after" not in created

    emu.advance(OPEN_SECONDS + SECONDS_PER_KB + 0.5)
    halfway = store(api, created["id"])
    assert halfway["status"] == "in_progress" and halfway["file_counts"] == counts(completed=1, in_progress=1)
    assert halfway["usage_bytes"] == len(text(1))
    first = attached(api, created["id"], small)
    assert first == {
        "id": small,
        "object": "vector_store.file",
        "usage_bytes": len(text(1)),
        "created_at": created["created_at"],
        "vector_store_id": created["id"],
        "status": "completed",
        "last_error": None,
        "chunking_strategy": AUTO_CHUNKING,
    }
    assert attached(api, created["id"], big)["status"] == "in_progress"

    emu.advance(500 * SECONDS_PER_KB)
    done = store(api, created["id"])
    assert done["status"] == "completed" and done["file_counts"] == counts(completed=2)
    assert done["usage_bytes"] == len(text(1)) + len(text(500))


def test_a_store_works_on_a_few_files_at_a_time(api, emu):
    ids = [upload(api, f"page-{n}.html", text(1)) for n in range(LANES + 1)]
    created = new_store(api, file_ids=ids)
    one_file = OPEN_SECONDS + SECONDS_PER_KB

    emu.advance(one_file * 1.5)
    assert store(api, created["id"])["file_counts"] == counts(completed=LANES, in_progress=1)
    emu.advance(one_file)
    assert store(api, created["id"])["file_counts"] == counts(completed=LANES + 1)


def test_files_search_cannot_read_fail_with_the_services_last_error(api, emu):
    files = {
        "sheet.csv": text(1),
        "README": text(1),
        "blank.txt": b"  \n\t\n",
        "latin1.txt": "café".encode("latin-1"),
        "report.pdf": b"%PDF-1.4 binary content",
    }
    ids = {name: upload(api, name, content) for name, content in files.items()}
    created = new_store(api, file_ids=list(ids.values()))
    emu.advance(OPEN_SECONDS + 0.5)

    errors = {name: attached(api, created["id"], file_id)["last_error"] for name, file_id in ids.items()}
    assert errors["sheet.csv"]["code"] == "unsupported_file" and "'.csv'" in errors["sheet.csv"]["message"]
    assert (
        errors["README"]["code"] == "unsupported_file"
        and "without an extension" in errors["README"]["message"]
    )
    assert errors["blank.txt"] == {
        "code": "invalid_file",
        "message": "The file blank.txt has no text to index.",
    }
    assert errors["latin1.txt"] == {
        "code": "invalid_file",
        "message": "The file latin1.txt is not valid UTF-8 text.",
    }
    assert errors["report.pdf"] is None
    failed = attached(api, created["id"], ids["sheet.csv"])
    assert failed["status"] == "failed" and failed["usage_bytes"] == 0
    settled = store(api, created["id"])
    assert settled["file_counts"] == counts(failed=4, completed=1)
    assert settled["usage_bytes"] == len(files["report.pdf"])


def test_a_fault_fails_chosen_files_once_each(api, emu):
    notes = upload(api, "notes.md", text(1))
    guide = upload(api, "guide.md", text(1))
    emu.fail_vector_store_file(filename="notes.md", message="Indexing crashed.")
    emu.fail_vector_store_file(guide, code="invalid_file", message="Corrupt.")
    pending = httpx.get(f"{emu.url}/_emulator/faults").json()["vector_store_file_failures"]
    assert [item["filename"] for item in pending] == ["notes.md", None]

    first = new_store(api, file_ids=[notes, guide])
    emu.advance(OPEN_SECONDS + 1)
    assert attached(api, first["id"], notes)["last_error"] == {
        "code": "server_error",
        "message": "Indexing crashed.",
    }
    assert attached(api, first["id"], guide)["last_error"] == {"code": "invalid_file", "message": "Corrupt."}
    assert httpx.get(f"{emu.url}/_emulator/faults").json()["vector_store_file_failures"] == []

    again = new_store(api, file_ids=[notes])
    emu.advance(OPEN_SECONDS + 1)
    assert attached(api, again["id"], notes)["status"] == "completed"

    emu.fail_vector_store_file()  # neither id nor name: the next file attached, wherever
    ok(api.post(f"/vector_stores/{again['id']}/files", json={"file_id": guide}))
    emu.advance(OPEN_SECONDS + 1)
    assert attached(api, again["id"], guide)["last_error"]["code"] == "server_error"


def test_pending_file_failures_go_with_clear_faults_and_reset(api, emu):
    notes = upload(api, "notes.md", text(1))
    emu.fail_vector_store_file(notes)
    emu.clear_faults()
    created = new_store(api, file_ids=[notes])
    emu.advance(OPEN_SECONDS + 1)
    assert attached(api, created["id"], notes)["status"] == "completed"

    emu.fail_vector_store_file(filename="later.md")
    emu.reset()
    assert httpx.get(f"{emu.url}/_emulator/faults").json()["vector_store_file_failures"] == []


def test_the_fault_route_is_checked_like_the_other_control_routes(emu):
    route = f"{emu.url}/_emulator/faults/vector_store_files"
    assert httpx.post(route, json={"file_id": "file-nope"}).status_code == 404
    wrong_code = httpx.post(route, json={"filename": "a.md", "code": "rate_limit_exceeded"})
    assert wrong_code.status_code == 400 and wrong_code.json()["error"]["param"] == "code"
    unknown = httpx.post(route, json={"filename": "a.md", "after": 3})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown_parameter"
    assert httpx.post(route, json={"message": ""}).status_code == 400


def test_a_batch_of_500_finishes_in_emulated_minutes_and_501_is_refused(api, emu):
    ids = [upload(api, f"doc-{n}.txt", f"document {n}".encode()) for n in range(501)]
    created = new_store(api, name="big")

    too_many = refused(api.post(f"/vector_stores/{created['id']}/file_batches", json={"file_ids": ids}))
    assert too_many["param"] == "file_ids" and too_many["code"] == "array_above_max_length"
    assert "maximum length 500" in too_many["message"] and "length 501" in too_many["message"]

    batch = ok(api.post(f"/vector_stores/{created['id']}/file_batches", json={"file_ids": ids[:500]}))
    assert batch["id"].startswith("vsfb_") and batch["object"] == "vector_store.files_batch"
    assert batch["status"] == "in_progress" and batch["file_counts"] == counts(in_progress=500)
    rounds = -(-500 // LANES)
    emu.advance(rounds * OPEN_SECONDS - 5)
    midway = ok(api.get(f"/vector_stores/{created['id']}/file_batches/{batch['id']}"))
    assert midway["status"] == "in_progress" and 0 < midway["file_counts"]["in_progress"] < 50

    emu.advance(120 - (rounds * OPEN_SECONDS - 5))  # two emulated minutes in all
    done = ok(api.get(f"/vector_stores/{created['id']}/file_batches/{batch['id']}"))
    assert done["status"] == "completed" and done["file_counts"] == counts(completed=500)
    assert store(api, created["id"])["file_counts"] == counts(completed=500)

    seen: list[str] = []
    after = None
    while True:
        params = {"limit": 100, "order": "asc", **({"after": after} if after else {})}
        listed = ok(
            api.get(f"/vector_stores/{created['id']}/file_batches/{batch['id']}/files", params=params)
        )
        seen += [item["id"] for item in listed["data"]]
        if not listed["has_more"]:
            break
        after = listed["last_id"]
    assert seen == ids[:500]


def test_a_cancelled_batch_cancels_the_files_still_in_progress(api, emu):
    ids = [upload(api, f"part-{n}.md", text(1)) for n in range(20)]
    created = new_store(api)
    batch = ok(api.post(f"/vector_stores/{created['id']}/file_batches", json={"file_ids": ids}))
    path = f"/vector_stores/{created['id']}/file_batches/{batch['id']}"

    cancelling = ok(api.post(f"{path}/cancel"))
    assert cancelling["status"] == "cancelling" and cancelling["file_counts"] == counts(in_progress=20)
    emu.advance(CANCELLING_SECONDS)
    cancelled = ok(api.get(path))
    assert cancelled["status"] == "cancelled"
    assert cancelled["file_counts"] == counts(completed=LANES, cancelled=20 - LANES)
    assert ok(api.post(f"{path}/cancel")) == cancelled  # again: no change

    listed = ok(api.get(f"{path}/files", params={"filter": "cancelled", "limit": 100}))["data"]
    assert len(listed) == 20 - LANES
    assert all(item["status"] == "cancelled" and item["last_error"] is None for item in listed)
    after = store(api, created["id"])
    assert after["status"] == "completed" and after["file_counts"] == counts(completed=LANES, cancelled=12)

    finished = ok(api.post(f"/vector_stores/{created['id']}/file_batches", json={"file_ids": ids[:1]}))
    assert finished["status"] == "completed"  # its one file was already attached and indexed
    late = refused(api.post(f"/vector_stores/{created['id']}/file_batches/{finished['id']}/cancel"))
    assert "already completed" in late["message"]


def test_a_batch_of_files_that_all_fail_has_failed(api, emu):
    ids = [upload(api, f"table-{n}.csv", text(1)) for n in range(3)]
    created = new_store(api)
    batch = ok(api.post(f"/vector_stores/{created['id']}/file_batches", json={"file_ids": ids}))
    emu.advance(OPEN_SECONDS + 1)
    failed = ok(api.get(f"/vector_stores/{created['id']}/file_batches/{batch['id']}"))
    assert failed["status"] == "failed" and failed["file_counts"] == counts(failed=3)


def test_a_batch_takes_the_sdks_per_file_form_and_attributes(api, emu):
    first, second = upload(api, "a.md", text(1)), upload(api, "b.md", text(1))
    created = new_store(api)
    static = {"type": "static", "static": {"max_chunk_size_tokens": 1200, "chunk_overlap_tokens": 200}}
    body = {
        "files": [
            {"file_id": first, "attributes": {"lang": "en", "year": 2024, "draft": False}},
            {"file_id": second, "chunking_strategy": static},
        ]
    }
    batch = ok(api.post(f"/vector_stores/{created['id']}/file_batches", json=body))
    assert batch["file_counts"]["total"] == 2
    assert attached(api, created["id"], first)["attributes"] == {"lang": "en", "year": 2024, "draft": False}
    assert attached(api, created["id"], second)["chunking_strategy"] == static
    assert "attributes" not in attached(api, created["id"], second)

    both = refused(
        api.post(f"/vector_stores/{created['id']}/file_batches", json={**body, "file_ids": [first]})
    )
    assert "mutually exclusive" in both["message"]
    neither = refused(api.post(f"/vector_stores/{created['id']}/file_batches", json={}))
    assert neither["code"] == "missing_required_parameter" and neither["param"] == "file_ids"
    empty = refused(api.post(f"/vector_stores/{created['id']}/file_batches", json={"file_ids": []}))
    assert empty["code"] == "empty_array"


def test_attaching_a_file_twice_answers_the_attachment_it_has(api, emu):
    notes = upload(api, "notes.md", text(1))
    created = new_store(api)
    first = ok(api.post(f"/vector_stores/{created['id']}/files", json={"file_id": notes}))
    assert first["status"] == "in_progress"
    emu.advance(5)
    static = {"type": "static", "static": {"max_chunk_size_tokens": 200, "chunk_overlap_tokens": 0}}
    second = ok(
        api.post(
            f"/vector_stores/{created['id']}/files", json={"file_id": notes, "chunking_strategy": static}
        )
    )
    assert second == {**first, "status": "completed", "usage_bytes": len(text(1))}
    assert store(api, created["id"])["file_counts"] == counts(completed=1)

    other, third = upload(api, "other.md", text(1)), upload(api, "third.md", text(1))
    body = {"file_ids": [other, notes, third, other]}
    batch = ok(api.post(f"/vector_stores/{created['id']}/file_batches", json=body))
    assert batch["file_counts"] == counts(completed=1, in_progress=2)
    listing = f"/vector_stores/{created['id']}/file_batches/{batch['id']}/files"
    in_order = [item["id"] for item in ok(api.get(listing, params={"order": "asc"}))["data"]]
    assert in_order == [notes, other, third]  # as attached: each file once, where first named


def test_using_a_store_keeps_it_from_expiring(api, emu):
    policy = {"anchor": "last_active_at", "days": 2}
    created = new_store(api, name="short-lived", expires_after=policy)
    assert created["expires_after"] == policy
    assert created["expires_at"] == created["last_active_at"] + 2 * DAY

    emu.advance(2 * DAY - 60)
    assert store(api, created["id"])["status"] == "completed"
    notes = upload(api, "notes.md", text(1))
    ok(api.post(f"/vector_stores/{created['id']}/files", json={"file_id": notes}))
    used = store(api, created["id"])
    assert used["last_active_at"] == created["last_active_at"] + 2 * DAY - 60
    assert used["expires_at"] == used["last_active_at"] + 2 * DAY

    emu.advance(2 * DAY - 60)
    assert store(api, created["id"])["status"] == "completed"  # reading a store is not using it
    emu.advance(60)
    expired = store(api, created["id"])
    assert expired["status"] == "expired" and expired["file_counts"] == counts(completed=1)

    other = upload(api, "other.md", text(1))
    late = refused(api.post(f"/vector_stores/{created['id']}/files", json={"file_id": other}))
    assert "expired" in late["message"]
    refused(api.post(f"/vector_stores/{created['id']}/file_batches", json={"file_ids": [other]}))
    renamed = ok(api.post(f"/vector_stores/{created['id']}", json={"name": "still expired"}))
    assert renamed["status"] == "expired" and renamed["name"] == "still expired"


def test_a_store_without_a_policy_never_expires(api, emu):
    created = new_store(api)
    emu.advance(400 * DAY)
    kept = store(api, created["id"])
    assert kept["status"] == "completed" and kept["expires_at"] is None and kept["name"] == ""


def test_modifying_a_store(api, emu):
    created = new_store(api, name="draft", metadata={"a": "1"})
    renamed = ok(api.post(f"/vector_stores/{created['id']}", json={"name": "final", "metadata": {"b": "2"}}))
    assert renamed["name"] == "final" and renamed["metadata"] == {"b": "2"}
    kept = ok(api.post(f"/vector_stores/{created['id']}", json={"name": None}))
    assert kept["name"] == "final" and kept["metadata"] == {"b": "2"}

    policy = {"anchor": "last_active_at", "days": 7}
    with_policy = ok(api.post(f"/vector_stores/{created['id']}", json={"expires_after": policy}))
    assert with_policy["expires_after"] == policy
    assert with_policy["expires_at"] == created["last_active_at"] + 7 * DAY
    without = ok(api.post(f"/vector_stores/{created['id']}", json={"expires_after": None}))
    assert "expires_after" not in without and without["expires_at"] is None

    too_long = refused(
        api.post(f"/vector_stores/{created['id']}", json={"expires_after": {**policy, "days": 366}})
    )
    assert too_long["param"] == "expires_after.days" and too_long["code"] == "integer_above_max_value"
    refused(api.post(f"/vector_stores/{created['id']}", json={"file_ids": []}))
    refused(api.post("/vector_stores/vs_nope", json={"name": "x"}), 404)


def test_what_the_service_refuses_when_a_store_or_file_is_created(api, emu):
    notes = upload(api, "notes.md", text(1))
    batch_input = upload(api, "requests.jsonl", b'{"custom_id": "1"}\n', purpose="batch")

    wrong = refused(api.post("/vector_stores", json={"file_ids": [notes, batch_input]}))
    assert wrong["param"] == "file_ids" and "purpose 'batch'" in wrong["message"]
    missing = refused(api.post("/vector_stores", json={"file_ids": ["file-a", notes, "file-b"]}))
    assert missing["message"] == "Files with ids ['file-a', 'file-b'] were not found."
    assert (
        refused(api.post("/vector_stores", json={"expires_after": {"anchor": "created_at", "days": 1}}))[
            "param"
        ]
        == "expires_after.anchor"
    )
    zero_days = refused(
        api.post("/vector_stores", json={"expires_after": {"anchor": "last_active_at", "days": 0}})
    )
    assert zero_days["code"] == "integer_below_min_value"
    crowded = refused(api.post("/vector_stores", json={"metadata": {f"k{n}": "v" for n in range(17)}}))
    assert crowded["code"] == "object_above_max_properties"
    assert refused(api.post("/vector_stores", json={"metadata": {"k": "v" * 513}}))["param"] == "metadata.k"
    assert refused(api.post("/vector_stores", json={"metadata": {"k" * 65: "v"}}))["param"] == "metadata"
    assert refused(api.post("/vector_stores", json={"name": 3}))["code"] == "invalid_type"
    assert refused(api.post("/vector_stores", json={"tools": []}))["code"] == "unknown_parameter"
    assert len(ok(api.get("/vector_stores"))["data"]) == 0

    created = new_store(api)
    files = f"/vector_stores/{created['id']}/files"
    assert (
        refused(api.post(files, json={"file_id": "file-nope"}), 404)["message"] == "No such file: 'file-nope'"
    )
    assert "purpose 'batch'" in refused(api.post(files, json={"file_id": batch_input}))["message"]
    assert refused(api.post(files, json={}))["code"] == "missing_required_parameter"
    for static, param in (
        ({"max_chunk_size_tokens": 99, "chunk_overlap_tokens": 0}, "max_chunk_size_tokens"),
        ({"max_chunk_size_tokens": 4097, "chunk_overlap_tokens": 0}, "max_chunk_size_tokens"),
        ({"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 401}, "chunk_overlap_tokens"),
        ({"max_chunk_size_tokens": 800}, "chunk_overlap_tokens"),
    ):
        body = {"file_id": notes, "chunking_strategy": {"type": "static", "static": static}}
        assert refused(api.post(files, json=body))["param"] == f"chunking_strategy.static.{param}"
    odd = refused(api.post(files, json={"file_id": notes, "chunking_strategy": {"type": "semantic"}}))
    assert odd["param"] == "chunking_strategy" and odd["code"] == "invalid_value"
    crowded_attributes = {"file_id": notes, "attributes": {f"k{n}": n for n in range(17)}}
    assert refused(api.post(files, json=crowded_attributes))["param"] == "attributes"
    edge = {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}
    assert (
        ok(api.post(files, json={"file_id": notes, "chunking_strategy": edge}))["chunking_strategy"] == edge
    )
    assert ok(api.get(files))["data"][0]["id"] == notes


def test_stores_page_by_cursor_in_either_order(api, emu):
    ids = [new_store(api, name=f"store {n}")["id"] for n in range(5)]
    newest_first = list(reversed(ids))

    first = ok(api.get("/vector_stores", params={"limit": 2}))
    assert [item["id"] for item in first["data"]] == newest_first[:2] and first["has_more"] is True
    assert (first["first_id"], first["last_id"]) == (newest_first[0], newest_first[1])
    second = ok(api.get("/vector_stores", params={"limit": 2, "after": first["last_id"]}))
    assert [item["id"] for item in second["data"]] == newest_first[2:4]
    last = ok(api.get("/vector_stores", params={"limit": 2, "after": second["last_id"]}))
    assert [item["id"] for item in last["data"]] == newest_first[4:] and last["has_more"] is False

    oldest_first = ok(api.get("/vector_stores", params={"order": "asc", "limit": 3}))
    assert [item["id"] for item in oldest_first["data"]] == ids[:3]
    before = ok(api.get("/vector_stores", params={"before": newest_first[3], "limit": 2}))
    assert [item["id"] for item in before["data"]] == newest_first[1:3] and before["has_more"] is True
    assert ok(api.get("/vector_stores", params={"limit": 100}))["has_more"] is False

    for params in ({"limit": 0}, {"limit": 101}, {"order": "sideways"}, {"after": "vs_nope"}, {"limit": "x"}):
        refused(api.get("/vector_stores", params=params))


def test_files_are_listed_by_status_with_cursors_placed_before_the_filter(api, emu):
    quick = [upload(api, f"q{n}.md", text(1)) for n in range(3)]
    slow = upload(api, "slow.md", text(400))
    broken = upload(api, "broken.csv", text(1))
    created = new_store(api, file_ids=[*quick, slow, broken])
    path = f"/vector_stores/{created['id']}/files"
    emu.advance(OPEN_SECONDS + 1)

    def listed(**params) -> list[str]:
        return [item["id"] for item in ok(api.get(path, params=params))["data"]]

    assert listed(filter="completed", order="asc") == quick
    assert listed(filter="in_progress") == [slow]
    assert listed(filter="failed") == [broken]
    assert listed(filter="cancelled") == []
    assert listed(filter="in_progress", after=quick[0], order="asc") == [
        slow
    ]  # the cursor is a completed file
    assert listed(limit=2) == [broken, slow]
    assert listed(limit=2, after=slow) == [quick[2], quick[1]]
    assert listed(before=quick[1], order="asc") == [quick[0]]
    assert refused(api.get(path, params={"filter": "done"}))["param"] == "filter"
    refused(api.get(f"/vector_stores/{created['id']}/files/{upload(api, 'x.md', b'x')}"), 404)


def test_detaching_and_deleting_leave_the_files(api, emu):
    notes, guide = upload(api, "notes.md", text(1)), upload(api, "guide.md", text(1))
    created = new_store(api, file_ids=[notes])
    batch = ok(api.post(f"/vector_stores/{created['id']}/file_batches", json={"file_ids": [guide]}))
    emu.advance(10)

    detached = ok(api.delete(f"/vector_stores/{created['id']}/files/{notes}"))
    assert detached == {"id": notes, "object": "vector_store.file.deleted", "deleted": True}
    assert ok(api.get(f"/files/{notes}"))["id"] == notes
    assert store(api, created["id"])["file_counts"] == counts(completed=1)
    assert store(api, created["id"])["last_active_at"] == created["last_active_at"] + 10
    refused(api.delete(f"/vector_stores/{created['id']}/files/{notes}"), 404)

    deleted = ok(api.delete(f"/vector_stores/{created['id']}"))
    assert deleted == {"id": created["id"], "object": "vector_store.deleted", "deleted": True}
    refused(api.get(f"/vector_stores/{created['id']}"), 404)
    refused(api.get(f"/vector_stores/{created['id']}/files/{guide}"), 404)
    refused(api.get(f"/vector_stores/{created['id']}/file_batches/{batch['id']}"), 404)
    refused(api.delete(f"/vector_stores/{created['id']}"), 404)
    assert ok(api.get(f"/files/{guide}"))["id"] == guide
    assert ok(api.get("/vector_stores"))["data"] == []


def test_a_batch_is_found_only_under_its_own_store(api, emu):
    notes = upload(api, "notes.md", text(1))
    first, second = new_store(api), new_store(api)
    batch = ok(api.post(f"/vector_stores/{first['id']}/file_batches", json={"file_ids": [notes]}))
    missing = refused(api.get(f"/vector_stores/{second['id']}/file_batches/{batch['id']}"), 404)
    assert missing["message"] == f"No such vector store file batch: '{batch['id']}'"
    refused(api.post(f"/vector_stores/{second['id']}/file_batches/{batch['id']}/cancel"), 404)
    refused(api.get(f"/vector_stores/vs_nope/file_batches/{batch['id']}/files"), 404)


def test_the_hook_drives_stores_files_and_batches(hook, emu):
    emu.set_speed(0)
    notes = hook.create_file(io.BytesIO(text(1)), "assistants", "notes.md").id
    ids = [hook.create_file(io.BytesIO(text(1)), "assistants", f"doc-{n}.md").id for n in range(3)]
    created = hook.create_vector_store(name="kb", file_ids=[notes], metadata={"dag_id": "rag"})
    assert created.status == "in_progress" and created.file_counts.total == 1

    batch = hook.create_vector_store_file_batch(created.id, ids)
    assert batch.status == "in_progress" and not batch.is_terminal
    emu.advance(5)
    assert hook.get_vector_store_file_batch(created.id, batch.id).status == "completed"
    assert {
        item.id for item in hook.list_vector_store_file_batch_files(created.id, batch.id, limit=2)
    } == set(ids)
    assert [
        item.id for item in hook.list_vector_store_files(created.id, filter="completed", order="asc")
    ] == [
        notes,
        *ids,
    ]
    assert hook.get_vector_store_file(created.id, notes).is_terminal
    assert hook.update_vector_store(created.id, name="kb v2").name == "kb v2"
    assert [store.id for store in hook.list_vector_stores()] == [created.id]
    assert hook.delete_vector_store_file(created.id, notes).deleted is True
    assert hook.get_vector_store(created.id).file_counts.total == 3
    assert hook.delete_vector_store(created.id).deleted is True


def test_the_dashboard_shows_a_store_and_its_files(api, emu):
    notes = upload(api, "notes.md", text(1))
    sheet = upload(api, "sheet.csv", text(1))
    created = new_store(api, name="Support <FAQ>", file_ids=[notes, sheet], description="for the bot")
    emu.advance(5)

    page = httpx.get(f"{emu.dashboard_url}/storage/vector_stores/{created['id']}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f"Vector store {created['id']}" in page.text and "Support &lt;FAQ&gt;" in page.text
    assert "1 completed, 0 in_progress, 1 failed, 0 cancelled of 2" in page.text
    assert "notes.md" in page.text and "unsupported_file: The file type" in page.text
    assert "for the bot" in page.text

    listing = httpx.get(f"{emu.dashboard_url}/storage/vector_stores")
    assert (
        "Vector stores (1)" in listing.text
        and f'href="/_emulator/dashboard/storage/vector_stores/{created["id"]}"' in listing.text
    )
    assert httpx.get(f"{emu.dashboard_url}/storage/vector_stores/vs_nope").status_code == 404


VALUES = [
    None,
    True,
    0,
    1,
    501,
    -1,
    1.5,
    "",
    "x",
    "auto",
    "static",
    "last_active_at",
    [],
    ["x"],
    {},
    {"a": 1},
]
FIELDS = {
    "/vector_stores": ["name", "file_ids", "expires_after", "chunking_strategy", "metadata", "description"],
    "/vector_stores/{store}": ["name", "expires_after", "metadata"],
    "/vector_stores/{store}/files": ["file_id", "chunking_strategy", "attributes"],
    "/vector_stores/{store}/file_batches": ["file_ids", "files", "chunking_strategy", "attributes"],
}
NESTED = {
    "expires_after": [{"anchor": "last_active_at", "days": 400}, {"days": 3}],
    "chunking_strategy": [{"type": "static"}, {"type": "static", "static": {"max_chunk_size_tokens": "800"}}],
    "files": [[{"file_id": 3}], [{}], [{"file_id": "x", "attributes": []}]],
}


@pytest.mark.parametrize("seed", range(2))
def test_generated_bodies_never_get_a_5xx(api, emu, seed):
    rng = random.Random(seed)
    store_id = new_store(api)["id"]
    for _ in range(150):
        template, fields = rng.choice(list(FIELDS.items()))
        body = {name: rng.choice(VALUES + NESTED.get(name, [])) for name in fields if rng.random() < 0.7}
        response = api.post(template.format(store=store_id), json=body)
        assert response.status_code < 500, (template, body, response.text)
        if response.status_code >= 400:
            assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    for query in ({"filter": 1}, {"limit": "all"}, {"order": ""}, {"before": ""}):
        assert api.get(f"/vector_stores/{store_id}/files", params=query).status_code == 400
