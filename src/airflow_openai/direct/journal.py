"""The answers of a direct run, written as each arrives, so a retried or killed task sends only what is missing.

One JSONL file of result rows (`custom_id`, `status`, `response` or `error`...), appended and
flushed to the operating system after every answer: a worker killed at any moment leaves every
answer it had received on disk, and at most one line cut short, which the next attempt drops.
Its first line names the input it belongs to (a fingerprint of the prepared requests): a journal
of another input (the DAG changed the prompts between tries) is set aside, never resumed.

The file lives on local disk: beside a local `output_path`, else under the output root's local
folder; a retry on another machine starts afresh (nothing is lost, answers are paid again).
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

HEADER_KEY = "journal_of"


class JournalBusy(RuntimeError):
    """Another attempt of the task is writing this journal (an attempt thought dead still running)."""


class Journal:
    """Rows of one input's answers at `path`; `answered` is read once on opening."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.answered: set[str] = set()
        """The ids an earlier attempt answered (read on opening); this attempt's are only counted, so
        memory stays flat in the number of records."""
        self.written = 0
        self._sink: IO[bytes] | None = None

    def open(self) -> Journal:
        """Read what an earlier attempt wrote (if of this input) and append after it; refused while
        another process holds the journal, so two attempts never interleave their lines."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        kept = self._resume() if self.path.exists() else 0
        sink = self.path.open("ab")
        try:
            fcntl.flock(sink.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            sink.close()
            raise JournalBusy(f"{self.path} is being written by another attempt of this task") from None
        sink.truncate(kept)  # a line cut short, or nothing of another input
        self._sink = sink
        if not kept:
            self._write({HEADER_KEY: self.fingerprint})
        return self

    def write(self, row: dict[str, Any]) -> None:
        self._write(row)
        self.written += 1

    @property
    def count(self) -> int:
        """Requests answered in all, by earlier attempts and this one."""
        return len(self.answered) + self.written

    def rows(self) -> Iterator[dict[str, Any]]:
        """Every row written, by any attempt, in the order written."""
        with self.path.open("rb") as source:
            next(source, None)
            for raw in source:
                if _custom_id(raw) is not None:
                    yield json.loads(raw)

    def close(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)

    def _write(self, row: dict[str, Any]) -> None:
        assert self._sink is not None, "open the journal first"
        self._sink.write(json.dumps(row, ensure_ascii=False).encode() + b"\n")
        self._sink.flush()

    def _resume(self) -> int:
        """The bytes of whole, readable lines of this input's journal (0: none to resume); the ids answered."""
        with self.path.open("rb") as source:
            header = source.readline()
            if not header.endswith(b"\n") or _header_of(header) != self.fingerprint:
                self.path.replace(self.path.with_name(self.path.name + ".other-input"))
                return 0
            kept = len(header)
            for raw in source:
                custom_id = _custom_id(raw)
                if custom_id is None:
                    break  # cut short by a kill or a full disk: dropped from here on, sent again
                self.answered.add(custom_id)
                kept += len(raw)
        return kept


def _custom_id(raw: bytes) -> str | None:
    if not raw.endswith(b"\n"):
        return None
    try:
        value = json.loads(raw).get("custom_id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _header_of(line: bytes) -> str | None:
    try:
        value = json.loads(line).get(HEADER_KEY)
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None
