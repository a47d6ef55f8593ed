"""The files of a source — a glob over a local folder or object storage, or a list of paths — with
their path under the source root and the digest of their content, read once, in constant memory."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from airflow_openai.storage import open_binary
from airflow_openai.transfers.sources import expand, glob_root
from airflow_openai.vector_stores.plan import SourceFile

CHUNK = 1 << 20


def scan(source: str | list[str], concurrency: int = 8) -> list[SourceFile]:
    """Every file of `source` with its digest; paths are relative to the glob's root (for a list,
    to the folder each file is in). Digests are read side by side: object storage is slow per file."""
    patterns = [source] if isinstance(source, str) else [str(item) for item in source]
    located: list[tuple[str, str]] = []
    for pattern in patterns:
        root = glob_root(pattern)[0] if any(mark in pattern for mark in "*?[") else pattern.rpartition("/")[0]
        for location in expand(pattern):
            located.append((location, _relative(location, root)))
    seen: dict[str, str] = {}
    for location, relative in located:
        if relative in seen and seen[relative] != location:
            raise ValueError(f"{location} and {seen[relative]} would both be {relative!r} in the store")
        seen[relative] = location
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(lambda pair: _digest(*pair), located))


def _relative(location: str, root: str) -> str:
    prefix = root.rstrip("/") + "/" if root else ""
    relative = (
        location[len(prefix) :] if prefix and location.startswith(prefix) else location.rpartition("/")[2]
    )
    return relative.lstrip("/")


def _digest(location: str, relative: str) -> SourceFile:
    digest = hashlib.sha256()
    size = 0
    with open_binary(location, "rb") as stream:
        for chunk in _chunks(stream):
            digest.update(chunk)
            size += len(chunk)
    return SourceFile(location, relative, digest.hexdigest(), size)


def _chunks(stream: Any) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk
