"""What a sync has to do: compare the source with what the store holds, file by file.

Pure logic over plain values, so every rule of a sync can be read (and tested) here:

- a file whose current content is attached and `completed` is left alone (`unchanged`);
- a new file is uploaded and attached (`added`); a changed one too, and its old version is
  detached and deleted only once the new one has completed (`replaced`), so the store never
  lacks the document in between;
- in `sync` mode a file gone from the source is detached and deleted (`removed`); `append`
  mode never removes anything; an upload another store holds is only detached (`sharing`);
- an attachment of the current content that failed, or was cancelled, is attached again
  (the file is not uploaded again); one still `in_progress` is attached again too, which adds
  nothing to the store but gives the wait a file batch to watch;
- content already uploaded under its ingest name (by an attempt that died before attaching
  it) is attached as it is, not uploaded again;
- files in the store that this store's sync did not upload are not ours: they are left alone;
- an attachment that failed for good (`unsupported_file`, `invalid_file`) is not attached
  again at every run: it is reported, and only a new version of the file is tried.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from airflow_openai.vector_stores.naming import DIGITS, ingested_name, parse

Mode = Literal["sync", "append"]
Change = Literal["added", "replaced", "retried", "unchanged"]
MODES = ("sync", "append")


@dataclass(frozen=True)
class SourceFile:
    """A file of the source: where it is, its path under the source root, its content's digest."""

    location: str
    relative_path: str
    sha256: str
    size: int

    def upload_name(self, tag: str) -> str:
        """Its name when uploaded for the store tagged `tag` (see `naming`)."""
        return ingested_name(self.relative_path, self.sha256, tag)


@dataclass(frozen=True)
class StoreFile:
    """A file attached to the store, with the name it was uploaded under."""

    file_id: str
    filename: str | None
    status: str
    error_code: str | None = None


@dataclass(frozen=True)
class Attach:
    """One file to attach: uploaded already (`file_id`), or to upload first."""

    source: SourceFile
    change: Change
    file_id: str | None = None


PERMANENT_ERRORS = frozenset({"unsupported_file", "invalid_file"})
"""A file that failed so will fail again: it is reported, not attached again."""


@dataclass
class Plan:
    attach: list[Attach] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    settled_failures: list[StoreFile] = field(default_factory=list)
    """Attachments of the current content that failed for good."""
    replaced_versions: dict[str, list[str]] = field(default_factory=dict)
    """Relative path → file ids of its old versions, removed once the new one has completed."""
    removed: dict[str, list[str]] = field(default_factory=dict)
    """Relative path → file ids of a file gone from the source."""
    foreign: int = 0

    @property
    def uploads(self) -> list[Attach]:
        return [item for item in self.attach if item.file_id is None]

    def count(self, change: str) -> int:
        return sum(1 for item in self.attach if item.change == change)


def plan(
    source: Iterable[SourceFile],
    attached: Iterable[StoreFile],
    uploaded: Mapping[str, str],
    tag: str,
    mode: Mode = "sync",
) -> Plan:
    """The plan for `source` against the store's `attached` files; `uploaded` maps ingest names of
    files uploaded but not attached to their ids; `tag` marks the store's own uploads."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    result = Plan()
    versions: dict[str, dict[str, StoreFile]] = {}  # relative path -> digest prefix -> attachment
    for item in attached:
        name = parse(item.filename)
        if name is None or name.store_tag != tag:
            result.foreign += 1
            continue
        versions.setdefault(name.relative_path, {})[name.sha256_prefix] = item
    wanted = {}
    for file in source:
        wanted[file.relative_path] = file
        held = versions.get(file.relative_path, {})
        current = held.get(file.sha256[:DIGITS])
        older = [version.file_id for prefix, version in held.items() if prefix != file.sha256[:DIGITS]]
        if older and mode == "sync":
            result.replaced_versions[file.relative_path] = older
        if current is not None and current.status == "completed":
            result.unchanged.append(file.relative_path)
            continue
        if current is not None and current.status == "failed" and current.error_code in PERMANENT_ERRORS:
            result.settled_failures.append(current)
            continue
        if current is not None:
            change: Change = "retried" if current.status in ("failed", "cancelled") else "unchanged"
            result.attach.append(Attach(file, change, current.file_id))
            continue
        fresh: Change = "replaced" if older and mode == "sync" else "added"
        result.attach.append(Attach(file, fresh, uploaded.get(file.upload_name(tag))))
    if mode == "sync":
        for relative_path, held in versions.items():
            if relative_path not in wanted:
                result.removed[relative_path] = [version.file_id for version in held.values()]
    return result


def plan_file_ids(file_ids: Iterable[str], attached: Iterable[StoreFile]) -> Plan:
    """The plan for a source that is a list of uploaded files: attach those the store lacks, attach
    again those whose processing failed. Nothing is replaced or removed: a sync only removes files
    it uploaded itself."""
    status = {item.file_id: item.status for item in attached}
    result = Plan()
    for file_id in dict.fromkeys(file_ids):
        held = status.get(file_id)
        as_source = SourceFile(file_id, file_id, "", 0)
        if held == "completed":
            result.unchanged.append(file_id)
        elif held is None:
            result.attach.append(Attach(as_source, "added", file_id))
        else:
            change: Change = "retried" if held in ("failed", "cancelled") else "unchanged"
            result.attach.append(Attach(as_source, change, file_id))
    return result
