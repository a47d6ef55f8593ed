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
        path = _path_of(target)
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


@contextlib.contextmanager
def removed_on_failure(target: Any) -> Iterator[None]:
    """Remove `target` (a path or object storage URI written in the block) if the block fails,
    so a partial file never stands where a whole one is expected. A caller's file object is left alone."""
    try:
        yield
    except BaseException:
        if is_object_storage(target) or isinstance(target, str | os.PathLike):
            with contextlib.suppress(Exception):  # the original failure is the one to report
                _path_of(target).unlink()
        raise


def _path_of(target: Any) -> Any:
    if is_object_storage(target):
        from airflow.sdk import ObjectStoragePath

        return target if isinstance(target, ObjectStoragePath) else ObjectStoragePath(str(target))
    return Path(target)


def probe_writable(target: Any) -> None:
    """Create `target`'s folder and write then remove a small probe file beside it.

    A results file that cannot be written would otherwise be found out only after the
    batch has run and been paid for; the probe finds it out before the first upload.
    A caller's own file object is taken as writable.
    """
    if not (is_object_storage(target) or isinstance(target, str | os.PathLike)):
        return
    path = _path_of(target)
    probe = path.parent / f".{path.name}.write-probe"
    path.parent.mkdir(parents=True, exist_ok=True)
    with probe.open("wb") as stream:
        stream.write(b"probe")
    probe.unlink()


@contextlib.contextmanager
def replaced_whole(target: Any) -> Iterator[IO[bytes]]:
    """Write `target` so that it is replaced whole or not at all: a failed write leaves the file
    that was there before (a rerun that fails does not lose the last good export).

    A local file (a path, or a `file://` URI) is written beside itself and renamed over the
    target at the end. Object storage (S3, GCS, Azure) publishes an object only when its upload
    completes, so it is written in place; a failed upload leaves the previous object.
    """
    local = _local_path(target)
    if local is None:
        with open_binary(target, "wb") as stream:
            yield stream
        return
    local.parent.mkdir(parents=True, exist_ok=True)
    partial = local.with_name(f".{local.name}.partial-{os.getpid()}")
    try:
        with open(partial, "wb") as stream:
            yield stream
        os.replace(partial, local)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def _local_path(target: Any) -> Path | None:
    if isinstance(target, str) and target.startswith("file://"):
        return Path(target[len("file://") :])
    if is_object_storage(target):
        path = _path_of(target)
        return Path(path.path) if getattr(path, "protocol", None) in ("file", "local") else None
    if isinstance(target, str | os.PathLike):
        return Path(target)
    return None
