"""Training data as the DAG gives it — a file id, a path or object storage URI, or records — made
into one local JSONL copy that is checked, fingerprinted and uploaded from.

Every form goes through the same steps, so records from XCom and a file already uploaded are
checked exactly as a file on S3 is, and a retry recognizes data it uploaded before by its
content. The copy lives in the task's scratch folder, removed however the task ends.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from airflow_openai.storage import open_binary

FILE_ID = re.compile(r"file-[A-Za-z0-9_-]+")
CHUNK = 1 << 20

Kind = Literal["file_id", "path", "records"]


@dataclass(frozen=True)
class StagedData:
    """One data set (training or validation) in a local JSONL file."""

    role: str
    label: str
    path: Path
    sha256: str
    size: int
    file_id: str | None = None
    """The id the DAG gave, when the data is already uploaded."""

    def lines(self) -> Iterator[bytes]:
        with open(self.path, "rb") as stream:
            yield from stream

    def upload_name(self, identity: Any) -> str:
        """The name the upload gets: the task, a digest of its DAG, run and map index, and the
        content's fingerprint. A retry finds its own upload by it, and two tasks (mapped, or of
        two runs) never take each other's, even with the same data."""
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", identity.task_id)[:80]
        whose = "\0".join((identity.dag_id, identity.run_id, identity.task_id, str(identity.map_index)))
        task = hashlib.sha256(whose.encode()).hexdigest()[:8]
        return f"{safe}-{self.role}-{task}-{self.sha256[:16]}.jsonl"


def kind_of(value: Any) -> Kind:
    """Records (a list or tuple, as an XCom carries them), a file id (`file-…`), or a path/URI."""
    if isinstance(value, list | tuple):
        return "records"
    if isinstance(value, str) and FILE_ID.fullmatch(value):
        return "file_id"
    if isinstance(value, str | os.PathLike) or type(value).__name__ == "ObjectStoragePath":
        if isinstance(value, str) and not value.strip():
            raise ValueError("is an empty string; give a file id, a path or URI, or a list of records")
        return "path"
    raise ValueError(
        f"must be a file id (file-…), a path or object storage URI, or a list of records, not "
        f"{type(value).__name__}"
    )


def stage(
    value: Any,
    role: str,
    workdir: Path,
    download: Callable[[str, Path], Any],
) -> StagedData:
    """Copy `value` into `workdir` as JSONL; `download(file_id, path)` fetches an uploaded file."""
    from airflow_openai.fine_tuning.training_data import records_to_jsonl

    kind = kind_of(value)
    path = workdir / f"{role}.jsonl"
    if kind == "file_id":
        download(value, path)
        label = f"{role} file {value}"
    elif kind == "records":
        with open(path, "wb") as sink:
            for line in records_to_jsonl(value):
                sink.write(line)
        label = f"{role} records ({len(value)})"
    else:
        with open_binary(value, "rb") as source, open(path, "wb") as sink:
            while chunk := source.read(CHUNK):
                sink.write(chunk)
        label = str(value)
    digest, size = _fingerprint(path)
    return StagedData(role, label, path, digest, size, value if kind == "file_id" else None)


def _fingerprint(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def uploaded_before(files: Any, staged: StagedData, name: str, since: float) -> str | None:
    """The id of this data's upload by an earlier attempt: the same `name` (task and fingerprint)
    and size, made since `since` (less the clock skew the API's clock may have); `files` are the
    account's fine-tune files, newest first."""
    from airflow_openai.fine_tuning.reattach import CLOCK_SKEW

    for file in files:
        if getattr(file, "created_at", 0) < since - CLOCK_SKEW:
            return None
        if file.filename == name and file.bytes == staged.size:
            return str(file.id)
    return None
