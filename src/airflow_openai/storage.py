"""Opening where DAG authors keep data: a local path, an object storage URI or `ObjectStoragePath`,
or a file object they already opened."""

from __future__ import annotations

import contextlib
import os
import uuid
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


class UnwritablePath(OSError):
    """An output path the results could not be written to; the message names it and says why."""


def probe_writable(target: Any) -> None:
    """Refuse, with `UnwritablePath`, a FILE target the results could not be written to.

    Refused: an existing folder, a path under a regular file, an existing file that cannot be
    written, a folder that cannot be written to, an object storage location the credentials
    cannot write. The check writes then removes a small probe file beside the target (creating
    the target's folder, as the write would): results that cannot be written would otherwise be
    found out only after the job ran and was paid for. A `file://` URI is a local path. A
    caller's own file object is taken as writable.
    """
    _probe(target, folder=False)


def probe_writable_folder(target: Any) -> None:
    """As `probe_writable`, for a FOLDER target that will receive several files: refused when it
    is a regular file, under one, or cannot be written to; the probe file goes inside it."""
    _probe(target, folder=True)


def _probe(target: Any, *, folder: bool) -> None:
    if not (is_object_storage(target) or isinstance(target, str | os.PathLike)):
        return
    local = _local_path(target)
    if local is not None:
        _probe_local(local, folder=folder)
    else:
        _probe_remote(_path_of(target), folder=folder)


PROBE_BYTES = b"probe"


def _probe_name() -> str:
    return f".airflow-openai-write-probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _probe_local(path: Path, *, folder: bool) -> None:
    try:
        if folder and path.exists() and not path.is_dir():
            raise UnwritablePath(
                f"{path} is a file, not a folder: the output is several files, put in a folder"
            )
        if not folder and path.is_dir():
            raise UnwritablePath(f"{path} is a folder, not a file: name a file, e.g. one inside it")
        where = path if folder else path.parent
        ancestor = where
        while not ancestor.exists() and ancestor != ancestor.parent:
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise UnwritablePath(f"{ancestor} is a file, so nothing can be written under it")
    except OSError as exc:  # say, a folder on the way that may not be looked into
        raise _refusal(exc, f"{path} cannot be looked at") from None
    if not folder and path.exists():
        try:
            with open(path, "ab"):  # appending nothing: the file is opened for writing, not changed
                pass
        except OSError as exc:
            raise _refusal(exc, f"the existing file {path} is not writable") from None
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _refusal(exc, f"the folder {where} cannot be made") from None
    probe = where / _probe_name()
    try:
        probe.write_bytes(PROBE_BYTES)
        probe.unlink()
    except OSError as exc:
        raise _refusal(exc, f"nothing can be written in {where}") from None


def _refusal(exc: OSError, what: str) -> UnwritablePath:
    return exc if isinstance(exc, UnwritablePath) else UnwritablePath(f"{what} ({exc.strerror or exc})")


def _probe_remote(path: Any, *, folder: bool) -> None:
    where = path if folder else path.parent
    try:
        if folder and path.is_file():
            raise UnwritablePath(f"{path} is an object (a file), not a folder: the output is several files")
        if not folder and path.is_dir():
            raise UnwritablePath(f"{path} is a folder, not a file: name a file, e.g. one inside it")
        where.mkdir(parents=True, exist_ok=True)
        probe = where / _probe_name()
        with probe.open("wb") as stream:
            stream.write(PROBE_BYTES)
        probe.unlink()
    except UnwritablePath:
        raise
    except Exception as exc:  # each filesystem (s3fs, gcsfs, adlfs) raises its own errors
        raise UnwritablePath(
            f"nothing can be written in {where} ({type(exc).__name__}: {exc}); check the path, and that "
            "the connection's credentials may write there"
        ) from None


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
