"""Files refused before they could be attached, remembered from one run to the next.

An attachment that failed for good stays in the store, failed, so a later run knows it failed
before. A file refused before it could be attached leaves no such trace: an empty file is
never sent (the Files API refuses empty files), and a file the Files API refuses is not
uploaded. Without a memory, every later run would take it for a new failure and, with the
default `max_failed_fraction=0`, fail over a folder it did not change.

So the store's metadata keeps them: under `airflow_refused`, a fingerprint (8 hex digits of
the SHA-256 of the file's path and content digest) of each refused file, space-separated, at
most `ROOM` (56) of them in the 512 characters of a value. A refusal whose fingerprint the
store holds failed before: it is reported (`failed_before`) and does not count against the
run; a new one, or a new version of the file, counts. The pair is written only when the set
changes, and removed when nothing is refused. A store whose 16 metadata pairs are all taken
cannot keep it: there every run counts its refused files, and says why.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from airflow_openai.metadata import METADATA_PAIRS, METADATA_VALUE_MAX

log = logging.getLogger(__name__)

REFUSED_METADATA = "airflow_refused"
DIGITS = 8
ROOM = (METADATA_VALUE_MAX + 1) // (DIGITS + 1)


def fingerprint(path: str, sha256: str) -> str:
    """What the store remembers of a refused file: its path with this content."""
    return hashlib.sha256(f"{path}\0{sha256}".encode("utf-8", "surrogateescape")).hexdigest()[:DIGITS]


def split(
    refused: list[dict[str, Any]], digests: Mapping[str, str], metadata: Mapping[str, str] | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], set[str]]:
    """The refusals new to this run, those the store remembers from an earlier one, and the
    fingerprints to remember now. `digests` maps a path to its content's digest."""
    remembered = set(str((metadata or {}).get(REFUSED_METADATA) or "").split())
    new: list[dict[str, Any]] = []
    before: list[dict[str, Any]] = []
    now: set[str] = set()
    for refusal in refused:
        mark = fingerprint(refusal["file"], digests.get(refusal["file"], ""))
        now.add(mark)
        (before if mark in remembered else new).append(refusal)
    return new, before, now


def remember(
    hook: Any,
    store: Any,
    marks: set[str],
    *,
    call: Callable[[Callable[[], Any], str], Any],
    logger: Any = log,
) -> None:
    """Keep `marks` in the store's metadata, if they differ from what it holds and there is room."""
    from airflow_openai.client.errors import APIStatusError

    metadata = dict(store.metadata or {})
    value = " ".join(sorted(marks)[:ROOM])
    if value == (metadata.get(REFUSED_METADATA) or ""):
        return
    if value:
        metadata[REFUSED_METADATA] = value
    else:
        metadata.pop(REFUSED_METADATA, None)
    if len(metadata) > METADATA_PAIRS:
        logger.warning(
            "The %d refused files cannot be remembered: the %d metadata pairs of vector store %s are "
            "all taken, so they count against every run",
            len(marks),
            METADATA_PAIRS,
            store.id,
        )
        return
    if len(marks) > ROOM:
        logger.warning(
            "Only %d of the %d refused files can be remembered; the others count against every run",
            ROOM,
            len(marks),
        )
    try:
        call(lambda: hook.update_vector_store(store.id, metadata=metadata), "Remembering refused files")
    except APIStatusError as exc:  # not worth failing the sync over: the next run counts them again
        logger.warning("Could not remember the refused files in vector store %s: %s", store.id, exc)
