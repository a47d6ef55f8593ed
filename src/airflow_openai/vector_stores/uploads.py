"""Uploading a sync's new and changed files, side by side, each exactly once.

A file's upload is recorded as it lands (every 100, and at the end however the step ends), and
every upload carries its ingest name (`naming`), so a step run again (a retry, a later round)
uploads only what is missing: what was recorded is skipped, and an upload nobody recorded is
found by its name in the store's inventory and attached as it is (`plan`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from airflow_openai.vector_stores.plan import Attach

log = logging.getLogger(__name__)

PURPOSE = "assistants"
RECORD_EVERY = 100
"""Uploads between two writes of the record: a write per file would be thousands of writes."""


class UploadsFailed(Exception):
    """Some uploads failed for a reason that may pass (not a refusal of the file): the others are
    recorded, and running the step again uploads only the rest."""


def refusal(item: Attach, code: str, message: str) -> dict[str, Any]:
    """A file reported as failed before it was attached: it was never uploaded, so it has no id."""
    return {"file": item.source.relative_path, "file_id": None, "code": code, "message": message}


def upload_missing(
    hook: Any,
    items: list[Attach],
    tag: str,
    done: dict[str, str],
    tally: dict[str, Any],
    *,
    concurrency: int,
    record: Callable[[dict[str, str]], object],
    logger: Any = log,
) -> list[str]:
    """The ids of `items` to attach, uploading those not uploaded yet (`done`: ingest name → id).

    A file the Files API would refuse (empty) or does refuse (a 4xx for that file) is a failure
    of that file, reported with its reason in ``tally["refused"]``, not of the sync; a file
    refused in an earlier round is not tried again. `record(done)` keeps what landed.
    """
    from airflow_openai.client.errors import APIStatusError

    refused: list[dict[str, Any]] = list(tally.get("refused") or [])
    already = {entry["file"] for entry in refused}
    items = [item for item in items if item.file_id or item.source.relative_path not in already]
    empty = [item for item in items if item.file_id is None and item.source.size == 0]
    refused += [
        refusal(item, "invalid_file", "the file is empty; the Files API refuses empty files")
        for item in empty
    ]
    todo = [
        item
        for item in items
        if item.file_id is None and item.source.size > 0 and item.source.upload_name(tag) not in done
    ]
    if todo:
        logger.info("Uploading %d files, %d at a time", len(todo), concurrency)
    failures: dict[str, BaseException] = {}
    landed = 0
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        running = {
            pool.submit(
                hook.upload_file, item.source.location, PURPOSE, filename=item.source.upload_name(tag)
            ): item
            for item in todo
        }
        try:
            for count, future in enumerate(as_completed(running), start=1):
                item = running[future]
                error = future.exception()
                if (
                    isinstance(error, APIStatusError)
                    and 400 <= error.status_code < 500
                    and error.status_code not in (401, 403, 408, 429)
                ):
                    refused.append(refusal(item, error.code or "upload_refused", str(error)))
                elif error is not None:
                    failures[item.source.relative_path] = error
                else:
                    done[item.source.upload_name(tag)] = future.result().id
                    landed += 1
                if count % RECORD_EVERY == 0:
                    record(dict(done))
        finally:
            record(dict(done))
    tally["uploaded"] = tally.get("uploaded", 0) + landed
    tally["refused"] = refused
    if failures:
        details = "; ".join(f"{path}: {exc}" for path, exc in sorted(failures.items())[:10])
        raise UploadsFailed(
            f"{len(failures)} of {len(todo)} uploads failed ({details}); the others are kept, and a "
            "retry uploads only the rest"
        )
    skipped = {entry["file"] for entry in refused}
    return [
        item.file_id or done[item.source.upload_name(tag)]
        for item in items
        if item.file_id or item.source.relative_path not in skipped
    ]
