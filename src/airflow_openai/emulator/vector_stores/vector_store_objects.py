"""What a vector store, a file attached to it and a file batch look like: made, shown, counted
(how they move on is `vector_store_lifecycle`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj

STORE = "vector_store"
BATCH = "vector_store.files_batch"
DAY_SECONDS = 86400
FILE_STATUSES = ("in_progress", "completed", "failed", "cancelled")


def files_kind(store_id: str) -> str:
    """The store's attachments are a kind of their own, keyed by file id, in the order they were made."""
    return f"vector_store.file@{store_id}"


@dataclass(frozen=True)
class Wanted:
    """A file to attach, with the chunking it reports and its attributes."""

    file: Obj
    chunking_strategy: dict[str, Any]
    attributes: dict[str, Any] | None = None


def create_store(
    state: EmulatorState,
    *,
    name: str | None,
    description: str | None,
    metadata: dict[str, str] | None,
    expires_after: dict[str, Any] | None,
) -> Obj:
    now = state.now()
    store: Obj = {
        "id": state.ids.new("vs_"),
        "object": "vector_store",
        "created_at": now,
        "name": name or "",
        "usage_bytes": 0,
        "file_counts": counts([]),
        "status": "completed",
        "last_active_at": now,
        "metadata": metadata or {},
        "expires_after": expires_after,
        "expires_at": None,
        "_description": description,
    }
    set_expiry(store)
    return state.store.put(STORE, store)


def set_expiry(store: Obj) -> None:
    policy = store.get("expires_after")
    store["expires_at"] = store["last_active_at"] + policy["days"] * DAY_SECONDS if policy else None


def render_store(store: Obj) -> Obj:
    """The store as the API shows it: `expires_at` may be null, `expires_after` is left out when unset."""
    return {
        key: value
        for key, value in store.items()
        if not key.startswith("_") and not (key == "expires_after" and value is None)
    }


def render_file(attachment: Obj) -> Obj:
    """The attachment as the API shows it: `last_error` null until it fails, `attributes` only when given."""
    return {
        key: value
        for key, value in attachment.items()
        if not key.startswith("_") and not (key == "attributes" and value is None)
    }


def render_batch(batch: Obj) -> Obj:
    return {key: value for key, value in batch.items() if not key.startswith("_")}


def counts(attachments: list[Obj]) -> dict[str, int]:
    counts = dict.fromkeys(FILE_STATUSES, 0)
    for attachment in attachments:
        counts[attachment["status"]] += 1
    return {**counts, "total": len(attachments)}


def touch(state: EmulatorState, store_id: str) -> None:
    """The store was used: `last_active_at` is now, and its expiry counts from now."""
    with state.lock:
        store = state.store.get(STORE, store_id)
        if store is not None:
            store["last_active_at"] = state.now()
            set_expiry(store)
            state.store.put(STORE, store)
