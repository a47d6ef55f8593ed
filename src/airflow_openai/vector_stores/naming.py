"""What an ingested file is called: its place in the source and a fingerprint of its content.

The API keeps no attributes on a store's files (in the spec this provider is built
against), only the file's name. So the name carries what a sync needs to know: the file's
path relative to the source root (percent-encoded, so `/` survives as one name) and the
first 16 hex digits of its SHA-256, before the path so the extension, which tells the
service the file's type, stays last: `3f2a9c1d4e5b6a7c~guides%2Fintro.md`. A file whose
name does not read this way was not put there by a sync, and a sync leaves it alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

DIGITS = 16
_NAME = re.compile(rf"([0-9a-f]{{{DIGITS}}})~(.+)")


@dataclass(frozen=True)
class IngestedName:
    relative_path: str
    sha256_prefix: str

    def __str__(self) -> str:
        return f"{self.sha256_prefix}~{quote(self.relative_path, safe='')}"


def ingested_name(relative_path: str, sha256: str) -> str:
    """The upload name of `relative_path` with this content."""
    return str(IngestedName(relative_path, sha256[:DIGITS]))


def parse(filename: str | None) -> IngestedName | None:
    """The path and fingerprint a sync gave this file, or None for a file it did not upload."""
    match = _NAME.fullmatch(filename or "")
    if match is None:
        return None
    return IngestedName(unquote(match.group(2)), match.group(1))
