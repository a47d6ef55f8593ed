"""How vector stores, their files and file batches move on, on the emulator's clock.

A file's moves are the table `FILE`, a file batch's `FILE_BATCH` (see `core.lifecycle`). As with
batches and fine-tuning jobs, they are taken on the emulated clock when an object is read, so
time can run fast, be advanced at will, and survive a restart.

Processing, in emulated seconds: a file takes `OPEN_SECONDS` (1 s) plus `SECONDS_PER_KB`
(0.02 s) per KB of it, so 1 MB takes about 21 s; a store works on `LANES` (8) files at
a time, each new file taking the lane that frees first. A batch of 500 small files is
thus done in about 64 emulated seconds, a second at the default speed. A file that
file search cannot index (see `vector_store_content`) fails after `OPEN_SECONDS` alone;
one failed on purpose (`/_emulator/faults/vector_store_files`) after its full time.

Statuses: a file is `in_progress`, then `completed` (its `usage_bytes` is then its size),
`failed` (with `last_error`) or `cancelled` (its batch cancelled). A store is `expired`
once `expires_after.days` have passed since its `last_active_at` (set by creating it and
by attaching or detaching files; reads and updates do not count), else `in_progress`
while any of its files is, else `completed`. A batch is `in_progress` while any of its
files is, then `completed`, or `failed` when every one of its files failed; a cancel
makes it `cancelling` for `CANCELLING_SECONDS` (2 s), after which its files still in
progress are `cancelled`, and so is the batch.

A file already attached to the store is not attached again: its attachment is answered
as it is (whatever its status), and a batch naming it counts it.
"""

from __future__ import annotations

from typing import Any

from airflow_openai.emulator.core.errors import bad_request
from airflow_openai.emulator.core.lifecycle import Lifecycle, Transition
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.vector_stores import vector_store_content
from airflow_openai.emulator.vector_stores import vector_store_objects as objects
from airflow_openai.emulator.vector_stores.vector_store_objects import (
    BATCH,
    STORE,
    Wanted,
    counts,
    files_kind,
    set_expiry,
    touch,
)

create_store = objects.create_store
render_store = objects.render_store
render_file = objects.render_file
render_batch = objects.render_batch
FILE_STATUSES = objects.FILE_STATUSES
"""What the routes reach here, made and shown in `vector_store_objects`."""

OPEN_SECONDS = 1.0
SECONDS_PER_KB = 0.02
LANES = 8
CANCELLING_SECONDS = 2


def processing_seconds(size: int, error: dict[str, Any] | None) -> float:
    """Emulated seconds a file of `size` bytes takes: opening it, then reading it unless it cannot be indexed."""
    if error is not None and error["code"] in ("unsupported_file", "invalid_file"):
        return OPEN_SECONDS
    return OPEN_SECONDS + size / 1024 * SECONDS_PER_KB


def _processing(state: EmulatorState, attachment: Obj) -> float:
    return processing_seconds(attachment["_bytes"], attachment["_error"])


def _fails(state: EmulatorState, attachment: Obj) -> bool:
    """File search cannot index the file, or a failure was planned for it."""
    return attachment["_error"] is not None


def _record_error(state: EmulatorState, attachment: Obj, at: float) -> None:
    attachment["last_error"] = attachment["_error"]


def _count_bytes(state: EmulatorState, attachment: Obj, at: float) -> None:
    attachment["usage_bytes"] = attachment["_bytes"]


FILE = Lifecycle(
    transitions=(
        Transition("in_progress", "failed", after=_processing, when=_fails, enter=_record_error),
        Transition("in_progress", "completed", after=_processing, enter=_count_bytes),
        Transition("in_progress", "cancelled", by="_cancel_at"),
    ),
    stamps={"in_progress": "_started_at"},
)
"""An attached file's moves: processed from when its lane frees (`_started_at`), or cancelled with its
batch (`_cancel_at`, set by `cancel_batch`) if that comes first."""


def _every_file_failed(state: EmulatorState, batch: Obj) -> bool:
    tally = batch["file_counts"]
    return bool(tally["total"]) and tally["failed"] == tally["total"]


def _no_file_in_progress(state: EmulatorState, batch: Obj) -> bool:
    return not batch["file_counts"]["in_progress"]


def _cancel_files(state: EmulatorState, batch: Obj, at: float) -> None:
    """Its files still in progress `CANCELLING_SECONDS` from now end `cancelled`."""
    kind = files_kind(batch["vector_store_id"])
    for item in batch_files(state, batch):
        if item["status"] == "in_progress":
            item["_cancel_at"] = at + CANCELLING_SECONDS
            state.store.put(kind, item)


FILE_BATCH = Lifecycle(
    transitions=(
        Transition("in_progress", "failed", when=_every_file_failed),
        Transition("in_progress", "completed", when=_no_file_in_progress),
        Transition("in_progress", "cancelling", on="cancel", enter=_cancel_files),
        Transition("cancelling", "cancelled", after=CANCELLING_SECONDS),
    ),
    stamps={"in_progress": "created_at", "cancelling": "_cancelling_at"},
)
"""A file batch's moves, read from its `file_counts` as of now; `cancel_batch` asks for `cancelling`."""
BATCH_TERMINAL = FILE_BATCH.terminal


def update_store(state: EmulatorState, store: Obj, changes: dict[str, Any]) -> Obj:
    """Apply `name`, `metadata` and `expires_after` (null removes it) as given; the rest is kept."""
    with state.lock:
        store = refresh(state, store)
        if changes.get("name") is not None:
            store["name"] = changes["name"]
        if changes.get("metadata") is not None:
            store["metadata"] = changes["metadata"]
        if "expires_after" in changes:
            store["expires_after"] = changes["expires_after"]
            set_expiry(store)
        state.store.put(STORE, store)
        return refresh(state, store)


def attachments(state: EmulatorState, store_id: str) -> list[Obj]:
    """The store's attachments as of now, newest first; those that moved are saved."""
    with state.lock:
        now = state.clock.now()
        current = state.store.all(files_kind(store_id))
        for attachment in current:
            if FILE.advance(state, attachment, now):
                state.store.put(files_kind(store_id), attachment)
        return current


def attachment(state: EmulatorState, store_id: str, file_id: str) -> Obj | None:
    with state.lock:
        found = state.store.get(files_kind(store_id), file_id)
        if found is not None and FILE.advance(state, found, state.clock.now()):
            state.store.put(files_kind(store_id), found)
        return found


def refresh(state: EmulatorState, store: Obj) -> Obj:
    """The store as of now: counts and usage from its files, and its status; saved when it changed."""
    with state.lock:
        fresh = state.store.get(STORE, store["id"]) or store
        files = attachments(state, fresh["id"])
        tally = counts(files)
        expires_at = fresh.get("expires_at")
        if fresh["status"] == "expired" or (expires_at is not None and state.now() >= expires_at):
            status = "expired"
        else:
            status = "in_progress" if tally["in_progress"] else "completed"
        usage = sum(item["usage_bytes"] for item in files if item["status"] == "completed")
        if (fresh["status"], fresh["file_counts"], fresh["usage_bytes"]) != (status, tally, usage):
            fresh.update(status=status, file_counts=tally, usage_bytes=usage)
            state.store.put(STORE, fresh)
        return fresh


def usable(state: EmulatorState, store: Obj) -> Obj:
    """The store as of now, if files may still be attached to it; an expired one is a 400."""
    store = refresh(state, store)
    if store["status"] == "expired":
        raise bad_request(
            f"Vector store {store['id']} has expired and can no longer be used.", param="vector_store_id"
        )
    return store


def attach(state: EmulatorState, store: Obj, wanted: list[Wanted], batch_id: str | None = None) -> list[Obj]:
    """Attach each wanted file (one already attached is answered as it is) and return the attachments,
    in the order wanted; each new one is planned on the lane that frees first."""
    with state.lock:
        now = state.clock.now()
        kind = files_kind(store["id"])
        current = {item["id"]: item for item in attachments(state, store["id"])}
        lanes = _lanes(current.values(), now)
        answered: list[Obj] = []
        for item in wanted:
            existing = current.get(item.file["id"])
            if existing is None:
                existing = current[item.file["id"]] = _new_attachment(state, store, item, lanes, now)
            if batch_id is not None and batch_id not in existing["_batches"]:
                existing["_batches"].append(batch_id)
            answered.append(state.store.put(kind, existing))
        touch(state, store["id"])
        return answered


def _lanes(current: Any, now: float) -> list[float]:
    """When each of the store's lanes is free, from the files still in progress on it."""
    lanes = [now] * LANES
    for item in current:
        if item["status"] == "in_progress":
            end = (
                item["_done_at"]
                if item.get("_cancel_at") is None
                else min(item["_done_at"], item["_cancel_at"])
            )
            lanes[item["_lane"]] = max(lanes[item["_lane"]], end)
    return lanes


def _new_attachment(state: EmulatorState, store: Obj, item: Wanted, lanes: list[float], now: float) -> Obj:
    source = item.file
    path = state.store.content(source["id"])
    error = vector_store_content.problem(path, source["filename"], source["bytes"])
    failure = state.faults.vector_store_file_failure(source["id"], source["filename"])
    if error is None and failure is not None:
        error = {"code": failure.code, "message": failure.message}
    lane = min(range(LANES), key=lambda index: lanes[index])
    started = lanes[lane]
    done = started + processing_seconds(source["bytes"], error)
    lanes[lane] = done
    return {
        "id": source["id"],
        "object": "vector_store.file",
        "usage_bytes": 0,
        "created_at": int(now),
        "vector_store_id": store["id"],
        "status": "in_progress",
        "last_error": None,
        "chunking_strategy": item.chunking_strategy,
        "attributes": item.attributes,
        "_filename": source["filename"],
        "_bytes": source["bytes"],
        "_error": error,
        "_lane": lane,
        "_started_at": started,
        "_done_at": done,
        "_cancel_at": None,
        "_batches": [],
    }


def detach(state: EmulatorState, store: Obj, file_id: str) -> bool:
    """Take the file out of the store (the file itself stays); False when it was not attached."""
    with state.lock:
        if not state.store.delete(files_kind(store["id"]), file_id):
            return False
        touch(state, store["id"])
        return True


def delete_store(state: EmulatorState, store: Obj) -> None:
    """The store, its attachments and its file batches go; the files stay."""
    with state.lock:
        kind = files_kind(store["id"])
        for item in state.store.all(kind):
            state.store.delete(kind, item["id"])
        for batch in state.store.all(BATCH):
            if batch["vector_store_id"] == store["id"]:
                state.store.delete(BATCH, batch["id"])
        state.store.delete(STORE, store["id"])


def create_batch(state: EmulatorState, store: Obj, wanted: list[Wanted]) -> Obj:
    """A file batch over `wanted` (each file once, in the order first named)."""
    with state.lock:
        batch: Obj = {
            "id": state.ids.new("vsfb_"),
            "object": "vector_store.files_batch",
            "created_at": state.now(),
            "vector_store_id": store["id"],
            "status": "in_progress",
            "file_counts": counts([]),
            "_cancelling_at": None,
        }
        firsts: dict[str, Wanted] = {}
        for item in wanted:
            firsts.setdefault(item.file["id"], item)
        attach(state, store, list(firsts.values()), batch["id"])
        state.store.put(BATCH, batch)
        return refresh_batch(state, batch)


def batch_files(state: EmulatorState, batch: Obj) -> list[Obj]:
    return [item for item in attachments(state, batch["vector_store_id"]) if batch["id"] in item["_batches"]]


def refresh_batch(state: EmulatorState, batch: Obj) -> Obj:
    """The batch as of now, from its files; a finished batch keeps the counts it finished with."""
    with state.lock:
        fresh = state.store.get(BATCH, batch["id"]) or batch
        if fresh["status"] in BATCH_TERMINAL:
            return fresh
        before = (fresh["status"], fresh["file_counts"])
        fresh["file_counts"] = counts(batch_files(state, fresh))
        FILE_BATCH.advance(state, fresh, state.clock.now())
        if (fresh["status"], fresh["file_counts"]) != before:
            state.store.put(BATCH, fresh)
        return fresh


def cancel_batch(state: EmulatorState, batch: Obj) -> Obj:
    """Start cancelling: files still in progress `CANCELLING_SECONDS` from now end `cancelled`.
    Cancelling a batch again is harmless; cancelling one that has finished is a 400."""
    with state.lock:
        batch = refresh_batch(state, batch)
        if batch["status"] in ("cancelling", "cancelled"):
            return batch
        if FILE_BATCH.take(state, batch, "cancelling", state.clock.now()) is None:
            raise bad_request(
                f"Cannot cancel a file batch that has already {batch['status']}: {batch['id']}."
            )
        state.store.put(BATCH, batch)
        return refresh_batch(state, batch)
