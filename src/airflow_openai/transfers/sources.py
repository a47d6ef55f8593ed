"""What can be uploaded: a local path, an object storage URI or `ObjectStoragePath`, or a binary file object.

Each is opened as a readable binary stream with its size when it can be known
without reading it; a stream of unknown size is spooled to local disk in bounded
pieces first, because the Uploads API must be told the exact byte count up front.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from airflow_openai.client.bodies import remaining_bytes
from airflow_openai.storage import is_object_storage

SPOOL_BUFFER = 8 * 1024 * 1024


@dataclass
class OpenedSource:
    stream: IO[bytes]
    size: int
    filename: str


def expand(source: str | list[str]) -> list[str]:
    """Paths and URIs, with globs expanded (locally, or through ObjectStoragePath); `**` recurses."""
    found: list[str] = []
    for item in [source] if isinstance(source, str) else list(source):
        item = str(item)
        if not any(mark in item for mark in "*?["):
            found.append(item)
        elif "://" in item:
            from airflow.sdk import ObjectStoragePath

            base, pattern = glob_root(item)
            matches = ObjectStoragePath(base).glob(pattern)
            # As a local glob does: files only, and no hidden ones (names starting with a dot).
            found.extend(sorted(str(path) for path in matches if not _hidden(path, base) and path.is_file()))
        else:
            found.extend(sorted(path for path in glob.glob(item, recursive=True) if os.path.isfile(path)))
    return found


def _hidden(path: Any, base: str) -> bool:
    relative = str(path)[len(base.rstrip("/")) :] if str(path).startswith(base.rstrip("/")) else str(path)
    return any(part.startswith(".") for part in relative.split("/") if part)


def glob_root(pattern: str) -> tuple[str, str]:
    """The folder a glob starts from (its longest part without a wildcard) and the rest of it:
    `s3://b/docs/**/*.md` → (`s3://b/docs`, `**/*.md`)."""
    parts = pattern.split("/")
    fixed = next((n for n, part in enumerate(parts) if any(mark in part for mark in "*?[")), len(parts) - 1)
    return "/".join(parts[:fixed]), "/".join(parts[fixed:])


def describe(source: Any) -> str:
    return str(source) if isinstance(source, str | os.PathLike) else getattr(source, "name", "a file object")


@contextlib.contextmanager
def open_source(source: Any, filename: str | None = None) -> Iterator[OpenedSource]:
    """Open `source` for reading with its size; the caller's own file objects are not closed."""
    if is_object_storage(source):
        from airflow.sdk import ObjectStoragePath

        path = source if isinstance(source, ObjectStoragePath) else ObjectStoragePath(source)
        with path.open("rb") as stream:
            yield OpenedSource(stream, int(path.stat().st_size), filename or path.name)
        return
    if isinstance(source, str | os.PathLike):
        local = Path(source)
        with local.open("rb") as stream:
            yield OpenedSource(stream, local.stat().st_size, filename or local.name)
        return
    name = filename or Path(getattr(source, "name", "") or "upload.bin").name
    size = remaining_bytes(source)
    if size is not None:
        yield OpenedSource(source, size, name)
        return
    with tempfile.TemporaryFile(prefix="openai-spool-") as spool:
        shutil.copyfileobj(source, spool, SPOOL_BUFFER)
        size = spool.tell()
        spool.seek(0)
        yield OpenedSource(spool, size, name)
