"""Joining upload parts into one file, done when the file is first read rather than on completion.

A completed upload's file is recorded as its parts in order (like an object store's
multi-part completion, a metadata change); the bytes are copied into one file only if
something reads them. Completion then costs the same whatever the file's size.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

COPY_BUFFER = 1 << 20


def manifest(content_dir: Path, object_id: str) -> Path:
    return content_dir / f"{object_id}.parts"


def compose(content_dir: Path, object_id: str, parts: list[Path]) -> int:
    """Record `parts` (files in `content_dir`) as the content of `object_id`; returns its size."""
    manifest(content_dir, object_id).write_text(json.dumps([part.name for part in parts]))
    return sum(part.stat().st_size for part in parts)


def assemble(content_dir: Path, object_id: str) -> None:
    """Join the recorded parts into the content file, if they have not been joined yet."""
    listing = manifest(content_dir, object_id)
    if not listing.exists():
        return
    parts = [content_dir / name for name in json.loads(listing.read_text())]
    joining = content_dir / f".assembling-{object_id}"
    join(parts, joining)
    joining.replace(content_dir / object_id)
    remove_parts(content_dir, object_id)


def remove_parts(content_dir: Path, object_id: str) -> None:
    listing = manifest(content_dir, object_id)
    if listing.exists():
        for name in json.loads(listing.read_text()):
            (content_dir / name).unlink(missing_ok=True)
        listing.unlink(missing_ok=True)


def join(sources: list[Path], target: Path) -> None:
    """Concatenate files, copied by the kernel where it can."""
    with target.open("wb") as sink:
        for path in sources:
            with path.open("rb") as source:
                size = os.fstat(source.fileno()).st_size
                copied = 0
                try:
                    while copied < size:
                        step = os.copy_file_range(source.fileno(), sink.fileno(), size - copied)
                        if step == 0:
                            break
                        copied += step
                except (AttributeError, OSError):
                    source.seek(copied)
                    sink.seek(0, os.SEEK_END)
                    shutil.copyfileobj(source, sink, COPY_BUFFER)
