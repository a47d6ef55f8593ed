"""A store that expired, replaced: why, and what of it is deleted once its successor is complete.

A store with `expires_after` expires after that many days without activity, and can no longer
be used: files cannot be attached to it, and file search cannot read it. A sync by
`store_key` that finds only an expired store holding its key creates a new one, and, since a
sync's uploads carry the tag of the store they were uploaded for (see `naming`), uploads every
file again for it. Once the new store is complete (the sync's last round is done), the expired
store's own uploads (those carrying its tag) are deleted, but for any another store still
holds (`sharing`), and then the expired store itself, so the store key names one store again.
A run that dies before that leaves the expired store holding the key, and the next run, or a
retry, finishes the job.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

log = logging.getLogger(__name__)

PURPOSE = "assistants"


def why(store: Any) -> str:
    """When and why `store` expired, for the log."""
    policy = store.expires_after or {}
    days = policy.get("days") if isinstance(policy, dict) else None
    rule = (
        f"{days} day{'' if days == 1 else 's'} without activity (expires_after)"
        if days
        else "its expires_after policy"
    )
    when = store.expires_at
    at = f" on {datetime.fromtimestamp(when, timezone.utc):%Y-%m-%d %H:%M} UTC" if when else ""
    return f"expired{at} after {rule}"


def replace_expired(
    hook: Any,
    expired: Iterable[str],
    *,
    successor: str,
    call: Callable[[Callable[[], Any], str], Any],
    logger: Any = log,
) -> list[dict[str, Any]]:
    """Delete each expired store's uploads (but those other stores hold) and the store itself;
    returns the uploads kept, as `sharing.delete_uploads` does."""
    from airflow_openai.client.errors import NotFoundError
    from airflow_openai.vector_stores.naming import parse, store_tag
    from airflow_openai.vector_stores.sharing import delete_uploads

    expired = [store_id for store_id in expired if store_id != successor]
    if not expired:
        return []
    files = call(lambda: list(hook.list_files(purpose=PURPOSE)), "Listing the files")
    kept: list[dict[str, Any]] = []
    for store_id in expired:
        tag = store_tag(store_id)
        uploads = {}
        for file in files:
            name = parse(file.filename)
            if name is not None and name.store_tag == tag:
                uploads[file.id] = name.relative_path
        shared = delete_uploads(hook, uploads, own_store=None, exclude=[store_id], call=call, logger=logger)
        kept += shared
        with contextlib.suppress(NotFoundError):
            call(functools.partial(hook.delete_vector_store, store_id), "Deleting the expired store")
        logger.info(
            "Replaced expired vector store %s with %s: deleted %d of its uploads and the store itself%s",
            store_id,
            successor,
            len(uploads) - len(shared),
            f"; kept {len(shared)} that other stores use" if shared else "",
        )
    return kept
