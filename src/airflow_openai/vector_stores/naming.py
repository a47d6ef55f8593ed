"""What an ingested file is called: its store, its place in the source and a fingerprint of its content.

The API keeps no attributes on a store's files (in the spec this provider is built
against), only the file's name. So the name carries what a sync needs to know: the first
16 hex digits of the content's SHA-256, a tag of the store it was uploaded for (8 hex
digits of its id's digest), and the file's path relative to the source root
(percent-encoded, so `/` survives as one name), last, so the extension, which tells the
service the file's type, stays last: `3f2a9c1d4e5b6a7c~9b1e0c2d~guides%2Fintro.md`. A local
name that is not UTF-8 (read by Python with `surrogateescape`) is percent-encoded as its bytes,
so the name sent is ASCII and reads back as the same path.

A file whose name does not read this way, or carries another store's tag, was not put in
this store by its sync, and the sync leaves it alone: it never reuses, detaches or deletes
a file another store (or a person) relies on, even one with the same content.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

DIGITS = 16
TAG_DIGITS = 8
_NAME = re.compile(rf"([0-9a-f]{{{DIGITS}}})~([0-9a-f]{{{TAG_DIGITS}}})~(.+)")


@dataclass(frozen=True)
class IngestedName:
    relative_path: str
    sha256_prefix: str
    store_tag: str

    def __str__(self) -> str:
        path = quote(self.relative_path, safe="", errors="surrogateescape")
        return f"{self.sha256_prefix}~{self.store_tag}~{path}"


def store_tag(vector_store_id: str) -> str:
    """The tag that marks a store's own uploads."""
    return hashlib.sha256(vector_store_id.encode()).hexdigest()[:TAG_DIGITS]


def ingested_name(relative_path: str, sha256: str, tag: str) -> str:
    """The upload name of `relative_path` with this content, for the store tagged `tag`."""
    return str(IngestedName(relative_path, sha256[:DIGITS], tag))


def parse(filename: str | None) -> IngestedName | None:
    """The path, fingerprint and store tag a sync gave this file, or None for one it did not upload."""
    match = _NAME.fullmatch(filename or "")
    if match is None:
        return None
    return IngestedName(unquote(match.group(3), errors="surrogateescape"), match.group(1), match.group(2))
