"""The end of a sync: remove what is gone and what was replaced, then report every file that failed,
with the service's reason.

An old version is removed only once its new version has completed (one whose new version
failed stays), and only files this store's sync uploaded are ever removed. Only the files this
run attached (or could not upload) count against `max_failed_fraction`: a file that failed for
good in an earlier run is reported, not held against this one.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable
from typing import Any

from airflow_openai.vector_stores.plan import Plan, StoreFile

log = logging.getLogger(__name__)


class TooManyFailed(Exception):
    """More files failed to process than `max_failed_fraction` allows; trying again changes nothing."""


def finish(
    hook: Any,
    store_id: str,
    final: Plan,
    tally: dict[str, Any],
    *,
    attached_now: set[str],
    mode: str,
    max_failed_fraction: float,
    call: Callable[[Callable[[], Any], str], Any],
    logger: Any = log,
) -> dict[str, Any]:
    """Tidy the store up after the last round and return the task's result; `final` is the plan
    read after it, that is the store as it now is; `call(step, what)` runs a step through an outage."""
    indexed = set(final.unchanged)
    removals = {path: ids for path, ids in final.replaced_versions.items() if path in indexed}
    removals |= dict(final.removed)
    for path, file_ids in removals.items():
        for file_id in file_ids:
            call(functools.partial(remove, hook, store_id, file_id), f"Removing {path}")
    failed = [
        {"file": item.source.relative_path, "file_id": item.file_id}
        for item in final.attach
        if item.change == "retried"
    ] + [{"file": _path_of(f), "file_id": f.file_id} for f in final.settled_failures]
    reasons = _reasons(hook, store_id, failed, call) + list(tally.get("refused") or [])
    store = call(lambda: hook.get_vector_store(store_id), "Reading the store")
    result = {
        "vector_store_id": store_id,
        "added": tally.get("added", 0),
        "replaced": tally.get("replaced", 0),
        "removed": len(final.removed) if mode == "sync" else 0,
        "unchanged": tally.get("unchanged", 0),
        "failed": reasons,
        "uploaded": tally.get("uploaded", 0),
        "usage_bytes": store.usage_bytes,
        "file_counts": store.file_counts.model_dump(),
    }
    logger.info(
        "Vector store %s: %d added, %d replaced, %d removed, %d unchanged, %d failed; %d bytes",
        store_id,
        result["added"],
        result["replaced"],
        result["removed"],
        result["unchanged"],
        len(reasons),
        store.usage_bytes,
    )
    for failure in reasons:
        logger.warning(
            "%s (%s) failed: %s: %s", failure["file"], failure["file_id"], failure["code"], failure["message"]
        )
    counted = [r for r in reasons if r["file_id"] is None or r["file_id"] in attached_now]
    attempted = len(attached_now) + len(tally.get("refused") or [])
    if counted and len(counted) > max_failed_fraction * attempted:
        raise TooManyFailed(
            f"{len(counted)} of {attempted} files failed to process, more than max_failed_fraction="
            f"{max_failed_fraction}: "
            + "; ".join(f"{f['file']}: {f['code']}: {f['message']}" for f in counted[:10])
        )
    return result


def remove(hook: Any, store_id: str, file_id: str) -> None:
    """Detach a file this sync uploaded and delete it; one already gone is fine."""
    from airflow_openai.client.errors import NotFoundError

    for step in (
        lambda: hook.delete_vector_store_file(store_id, file_id),
        lambda: hook.delete_file(file_id),
    ):
        with contextlib.suppress(NotFoundError):
            step()


def _reasons(
    hook: Any, store_id: str, failed: list[dict[str, Any]], call: Callable[[Callable[[], Any], str], Any]
) -> list[dict[str, Any]]:
    """Each failed attachment with the service's code and message for it."""
    reasons = []
    for item in failed:
        attachment = call(
            functools.partial(hook.get_vector_store_file, store_id, item["file_id"]), "Reading a failed file"
        )
        error = attachment.last_error
        reasons.append(
            {
                **item,
                "code": (error.code if error else None) or attachment.status,
                "message": (error.message if error else None) or f"the file was {attachment.status}",
            }
        )
    return reasons


def _path_of(attachment: StoreFile) -> str:
    from airflow_openai.vector_stores.naming import parse

    name = parse(attachment.filename)
    return name.relative_path if name is not None else str(attachment.file_id)
