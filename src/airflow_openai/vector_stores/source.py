"""The files of a source — a glob over a local folder or object storage, or a list of paths — with
their path under the source root and the digest of their content, read once, in constant memory.

A glob takes no hidden file (a name under the glob's root starting with a dot: `.env`,
`.git/HEAD`, `.DS_Store`), as a shell's does; with `include_hidden` it takes them too. Either
way the hidden files a glob matched are counted, so the sync can say what it skipped. A path
named as it is, not through a glob, is taken even when hidden.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from airflow_openai.storage import open_binary
from airflow_openai.transfers.sources import glob_root
from airflow_openai.vector_stores.plan import SourceFile

CHUNK = 1 << 20


@dataclass(frozen=True)
class Scanned:
    """The source's files, and the hidden files its globs matched (skipped, unless `include_hidden`)."""

    files: list[SourceFile]
    hidden: list[str] = field(default_factory=list)
    """Their paths under the source root."""


def scan(source: str | list[str], concurrency: int = 8, *, include_hidden: bool = False) -> Scanned:
    """Every file of `source` with its digest; paths are relative to the glob's root (for a list,
    to the folder each file is in). Digests are read side by side: object storage is slow per file."""
    patterns = [source] if isinstance(source, str) else [str(item) for item in source]
    located: list[tuple[str, str]] = []
    hidden: list[str] = []
    for pattern in patterns:
        if not any(mark in pattern for mark in "*?["):
            located.append((pattern, _relative(pattern, pattern.rpartition("/")[0])))
            continue
        root = glob_root(pattern)[0]
        visible, secret = _matches(pattern)
        hidden += [_relative(location, root) for location in secret]
        for location in visible + (secret if include_hidden else []):
            located.append((location, _relative(location, root)))
    seen: dict[str, str] = {}
    for location, relative in located:
        if relative in seen and seen[relative] != location:
            raise ValueError(f"{location} and {seen[relative]} would both be {relative!r} in the store")
        seen[relative] = location
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        files = list(pool.map(lambda pair: _digest(*pair), located))
    return Scanned(files, sorted(set(hidden)))


def _matches(pattern: str) -> tuple[list[str], list[str]]:
    """The files a glob matches: those a shell's glob takes, and the hidden ones it leaves out."""
    base, rest = glob_root(pattern)
    if "://" in pattern:
        from airflow.sdk import ObjectStoragePath

        found = [path for path in ObjectStoragePath(base).glob(rest) if path.is_file()]
        visible = sorted(str(path) for path in found if not _hidden(str(path), base))
        return visible, sorted(str(path) for path in found if _hidden(str(path), base))
    visible = sorted(path for path in glob.glob(pattern, recursive=True) if os.path.isfile(path))
    taken, wanted = set(visible), rest.split("/")
    depth = None if "**" in wanted else len(wanted)  # how deep a match can lie below `base`
    secret = []
    for folder, folders, names in os.walk(base or "."):
        below = _under(folder if base else os.path.relpath(folder), base)
        if depth is not None and len(below) >= depth - 1:
            folders[:] = []
        for name in names:
            location = os.path.join(folder, name) if base else os.path.relpath(os.path.join(folder, name))
            parts = _under(location, base)
            if location not in taken and any(p.startswith(".") for p in parts) and _fits(wanted, parts):
                secret.append(location)
    return visible, sorted(secret)


def _under(location: str, base: str) -> list[str]:
    """The parts of `location` below `base`."""
    prefix = base.rstrip("/") + "/" if base else ""
    if prefix and (location + "/").startswith(prefix):
        location = location[len(prefix) :]
    return [part for part in location.split("/") if part and part != "."]


def _hidden(location: str, base: str) -> bool:
    """Whether a part of `location` below `base` starts with a dot."""
    return any(part.startswith(".") for part in _under(location, base))


def _fits(pattern: list[str], parts: list[str]) -> bool:
    """Whether a path's parts match a glob's, as the glob module reads them (`**` is any number of
    folders), dots aside."""
    if not pattern:
        return not parts
    head, tail = pattern[0], pattern[1:]
    if head == "**":
        return any(_fits(tail, parts[index:]) for index in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], head) and _fits(tail, parts[1:])


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
