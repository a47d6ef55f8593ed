"""Opening where DAG authors keep data: a local path, an object storage URI or `ObjectStoragePath`,
or a file object they already opened."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def is_object_storage(target: Any) -> bool:
    return (isinstance(target, str) and "://" in target) or type(target).__name__ == "ObjectStoragePath"


@contextlib.contextmanager
def open_binary(target: Any, mode: str, *, make_local_parents: bool = False) -> Iterator[IO[bytes]]:
    """Open `target` in binary `mode` for the duration of the block.

    Object storage folders are created for writes; local ones only with
    `make_local_parents`. A caller's own file object is passed through and left open.
    """
    if is_object_storage(target):
        from airflow.sdk import ObjectStoragePath

        path = target if isinstance(target, ObjectStoragePath) else ObjectStoragePath(str(target))
        if "w" in mode:
            path.parent.mkdir(parents=True, exist_ok=True)
        with path.open(mode) as stream:
            yield stream
    elif isinstance(target, str | os.PathLike):
        if "w" in mode and make_local_parents:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        with open(target, mode) as stream:
            yield stream
    else:
        yield target
