"""Deleting a sync's uploads without breaking another store that uses them.

A file is one object in the account, and any number of vector stores may hold it: someone may
attach a sync's upload to a second store (a list of file ids as the operator's `source` does
exactly that). Deleting the file would leave that store listing a file whose content is gone.
So before a sync deletes an upload (a file gone from the source, the old version of a changed
one, the uploads of an expired store it replaced) it asks who else holds it, and deletes only
what no other store holds; the rest is detached from its own store, kept, and reported
(`kept_shared`).

The API has no reverse lookup from a file to its stores, so the stores are listed (every page)
and each is asked about the files about to be deleted, which are few: per store, whichever
costs fewer requests of one `GET /vector_stores/{id}/files/{file_id}` per file (a 404 when the
store does not hold it) or a listing of its files, 100 a page; a store that reports no files
is not asked. The questions go side by side. Stores outside the API key's project cannot be
seen, and are not asked.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)

PAGE = 100
CONCURRENCY = 8

Call = Callable[[Callable[[], Any], str], Any]
"""`call(step, what)`: `step` run through an outage (see `VectorStoreSync.call`)."""


def holders(
    hook: Any, file_ids: Iterable[str], *, exclude: Iterable[str], call: Call
) -> dict[str, list[str]]:
    """Each of `file_ids` with the ids of the stores (but those of `exclude`) that hold it; a file
    no other store holds is absent."""
    wanted = sorted(set(file_ids))
    if not wanted:
        return {}
    skip = set(exclude)
    stores = [
        store
        for store in call(lambda: list(hook.list_vector_stores(limit=PAGE)), "Listing the vector stores")
        if store.id not in skip and not _reports_no_files(store)
    ]
    questions: list[Callable[[], list[tuple[str, str]]]] = []
    for store in stores:
        pages = -(-store.file_counts.total // PAGE) if "file_counts" in store.model_fields_set else None
        if pages is not None and pages < len(wanted):
            questions.append(functools.partial(_listed, hook, store.id, wanted, call))
        else:
            questions += [functools.partial(_probed, hook, store.id, file_id, call) for file_id in wanted]
    found: dict[str, list[str]] = {}
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        for answer in pool.map(lambda question: question(), questions):
            for file_id, store_id in answer:
                found.setdefault(file_id, []).append(store_id)
    return {file_id: sorted(set(store_ids)) for file_id, store_ids in found.items()}


def delete_uploads(
    hook: Any,
    uploads: dict[str, str],
    *,
    own_store: str | None,
    exclude: Iterable[str] = (),
    call: Call,
    logger: Any = log,
) -> list[dict[str, Any]]:
    """Detach `uploads` (file id → its path in the source) from `own_store` (None: no detaching),
    then delete each file no other store (but `exclude`) holds. Returns the files kept because
    another store holds them: ``{"file", "file_id", "stores"}``. One already gone is fine."""
    from airflow_openai.client.errors import NotFoundError

    if not uploads:
        return []
    if own_store is not None:
        for file_id, path in uploads.items():
            with contextlib.suppress(NotFoundError):
                call(
                    functools.partial(hook.delete_vector_store_file, own_store, file_id), f"Detaching {path}"
                )
    skip = {*exclude, *([own_store] if own_store else [])}
    held = holders(hook, uploads, exclude=skip, call=call)
    kept = []
    for file_id, path in uploads.items():
        if file_id in held:
            kept.append({"file": path, "file_id": file_id, "stores": held[file_id]})
            logger.warning(
                "Kept %s (%s): vector store%s %s still use%s it, so it was %s, not deleted",
                path,
                file_id,
                "s" if len(held[file_id]) > 1 else "",
                ", ".join(held[file_id]),
                "" if len(held[file_id]) > 1 else "s",
                f"detached from {own_store}" if own_store else "left in the account",
            )
            continue
        with contextlib.suppress(NotFoundError):
            call(functools.partial(hook.delete_file, file_id), f"Deleting {path}")
    return kept


def _reports_no_files(store: Any) -> bool:
    return "file_counts" in store.model_fields_set and store.file_counts.total == 0


def _probed(hook: Any, store_id: str, file_id: str, call: Call) -> list[tuple[str, str]]:
    from airflow_openai.client.errors import NotFoundError

    try:
        call(functools.partial(hook.get_vector_store_file, store_id, file_id), "Asking a store for a file")
    except NotFoundError:  # the store does not hold it (or is gone)
        return []
    return [(file_id, store_id)]


def _listed(hook: Any, store_id: str, wanted: list[str], call: Call) -> list[tuple[str, str]]:
    from airflow_openai.client.errors import NotFoundError

    try:
        held = call(
            lambda: {f.id for f in hook.list_vector_store_files(store_id, limit=PAGE)},
            "Listing a store's files",
        )
    except NotFoundError:  # deleted meanwhile
        return []
    return [(file_id, store_id) for file_id in wanted if file_id in held]
