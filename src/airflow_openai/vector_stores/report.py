"""The end of a sync: remove what is gone and what was replaced, then report every file that failed,
with the service's reason.

An old version is removed only once its new version has completed (one whose new version
failed stays), only files this store's sync uploaded are ever removed, and a file another store
holds is only detached, never deleted (`sharing`: reported as `kept_shared`). The uploads of an
expired store this sync replaced go too (`expired`).

Failures are reported in two lists. `failed`: the files this run attached (or could not
upload) that failed; only they count against `max_failed_fraction`. `failed_before`: files
that failed for good in an earlier run (an attachment `unsupported_file` or `invalid_file`
still in the store, a file refused before it could be attached, as `refusals` remembers) and
were not tried again: reported, never held against this run.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
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
    expired: Iterable[str] = (),
    logger: Any = log,
) -> dict[str, Any]:
    """Tidy the store up after the last round and return the task's result; `final` is the plan
    read after it, that is the store as it now is; `call(step, what)` runs a step through an
    outage; `expired` are the stores this one replaced."""
    from airflow_openai.vector_stores import refusals
    from airflow_openai.vector_stores.expired import replace_expired
    from airflow_openai.vector_stores.sharing import delete_uploads

    indexed = set(final.unchanged)
    going = {
        file_id: path
        for path, file_ids in final.replaced_versions.items()
        if path in indexed
        for file_id in file_ids
    }
    going |= {file_id: path for path, file_ids in final.removed.items() for file_id in file_ids}
    kept = delete_uploads(hook, going, own_store=store_id, call=call, logger=logger)
    kept += replace_expired(hook, expired, successor=store_id, call=call, logger=logger)
    attachments = [
        {"file": item.source.relative_path, "file_id": item.file_id}
        for item in final.attach
        if item.change == "retried"
    ] + [{"file": _path_of(f), "file_id": f.file_id} for f in final.settled_failures]
    reasons = _reasons(hook, store_id, attachments, call)
    store = call(lambda: hook.get_vector_store(store_id), "Reading the store")
    digests = {item.source.relative_path: item.source.sha256 for item in final.attach}
    refused_now, refused_before, marks = refusals.split(
        list(tally.get("refused") or []), digests, store.metadata
    )
    refusals.remember(hook, store, marks, call=call, logger=logger)
    failed = [r for r in reasons if r["file_id"] in attached_now] + refused_now
    before = [r for r in reasons if r["file_id"] not in attached_now] + refused_before
    result = {
        "vector_store_id": store_id,
        "added": tally.get("added", 0),
        "replaced": tally.get("replaced", 0),
        "removed": len(final.removed) if mode == "sync" else 0,
        "unchanged": tally.get("unchanged", 0),
        "failed": failed,
        "failed_before": before,
        "kept_shared": kept,
        "uploaded": tally.get("uploaded", 0),
        "usage_bytes": store.usage_bytes,
        "file_counts": store.file_counts.model_dump(),
    }
    logger.info(
        "Vector store %s: %d added, %d replaced, %d removed, %d unchanged, %d failed, %d failed before, "
        "%d kept for other stores; %d bytes",
        store_id,
        result["added"],
        result["replaced"],
        result["removed"],
        result["unchanged"],
        len(failed),
        len(before),
        len(kept),
        store.usage_bytes,
    )
    for failure in failed:
        logger.warning(
            "%s (%s) failed: %s: %s", failure["file"], failure["file_id"], failure["code"], failure["message"]
        )
    for failure in before:
        logger.info(
            "%s (%s) failed before, and was not tried again (it counts against no later run; a new "
            "version of it is tried): %s: %s",
            failure["file"],
            failure["file_id"],
            failure["code"],
            failure["message"],
        )
    attempted = len(attached_now) + len(refused_now)
    if failed and len(failed) > max_failed_fraction * attempted:
        raise TooManyFailed(
            f"{len(failed)} of {attempted} files failed to process, more than max_failed_fraction="
            f"{max_failed_fraction}: "
            + "; ".join(f"{f['file']}: {f['code']}: {f['message']}" for f in failed[:10])
        )
    return result


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
