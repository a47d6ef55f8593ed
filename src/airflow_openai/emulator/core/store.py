"""Persistent state: SQLite for objects, plain files for content, both under the data directory.

Objects are stored as the JSON the API returns, plus private fields whose names start
with `_` (never sent to clients). The store survives restarts and can be shared by the
scheduler, triggerer and workers through the one emulator process that owns it.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from airflow_openai.emulator.core import content

Obj = dict[str, Any]


class Store:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.content_dir = self.data_dir / "content"
        self.content_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._assembling = threading.Lock()
        self._db = sqlite3.connect(
            self.data_dir / "emulator.sqlite3", check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        # Commits survive a killed process without syncing the disk each time. A sync would also
        # wait for every content file written since the last one (ext4 orders data before
        # metadata), stalling requests for seconds while large uploads arrive.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS objects (kind TEXT, id TEXT, seq INTEGER, data TEXT, PRIMARY KEY (kind, id))"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store while reading, changing and writing back an object."""
        with self._lock:
            yield

    def put(self, kind: str, obj: Obj) -> Obj:
        with self._lock:
            row = self._db.execute(
                "SELECT seq FROM objects WHERE kind=? AND id=?", (kind, obj["id"])
            ).fetchone()
            if row is None:
                seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM objects").fetchone()[0]
                self._db.execute(
                    "INSERT INTO objects (kind, id, seq, data) VALUES (?, ?, ?, ?)",
                    (kind, obj["id"], seq, json.dumps(obj)),
                )
            else:
                self._db.execute(
                    "UPDATE objects SET data=? WHERE kind=? AND id=?", (json.dumps(obj), kind, obj["id"])
                )
        return obj

    def put_new(self, kind: str, objs: list[Obj]) -> None:
        """Insert objects not stored yet, in order, in one transaction: thousands at once (a seeded audit
        log) without a sequence lookup and a commit each."""
        with self._lock:
            seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM objects").fetchone()[0]
            rows = [(kind, obj["id"], seq + n, json.dumps(obj)) for n, obj in enumerate(objs, start=1)]
            self._db.execute("BEGIN")
            try:
                self._db.executemany("INSERT INTO objects (kind, id, seq, data) VALUES (?, ?, ?, ?)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def get(self, kind: str, object_id: str) -> Obj | None:
        with self._lock:
            row = self._db.execute(
                "SELECT data FROM objects WHERE kind=? AND id=?", (kind, object_id)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def all(self, kind: str, newest_first: bool = True) -> list[Obj]:
        order = "DESC" if newest_first else "ASC"
        with self._lock:
            rows = self._db.execute(
                f"SELECT data FROM objects WHERE kind=? ORDER BY seq {order}", (kind,)
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def delete(self, kind: str, object_id: str) -> bool:
        with self._lock:
            return (
                self._db.execute("DELETE FROM objects WHERE kind=? AND id=?", (kind, object_id)).rowcount > 0
            )

    def meta(self, key: str, value: str | None = None) -> str | None:
        with self._lock:
            if value is not None:
                self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
                return value
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def content_path(self, object_id: str) -> Path:
        """Where an object's content is written."""
        return self.content_dir / object_id

    def compose(self, object_id: str, parts: list[Path]) -> int:
        """Make `parts`, in order, the content of `object_id` without copying them; returns its size."""
        return content.compose(self.content_dir, object_id, parts)

    def content(self, object_id: str) -> Path:
        """The path to read an object's content from (it may not exist), joined from its parts first if need be."""
        with self._assembling:
            content.assemble(self.content_dir, object_id)
        return self.content_path(object_id)

    def delete_content(self, object_id: str) -> None:
        with self._assembling:
            content.remove_parts(self.content_dir, object_id)
            self.content_path(object_id).unlink(missing_ok=True)

    def reset(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM objects")
            self._db.execute("DELETE FROM meta")
            shutil.rmtree(self.content_dir, ignore_errors=True)
            self.content_dir.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def public(obj: Obj) -> Obj:
    """The object as clients see it: private `_` fields removed, and unset optional fields left out
    (the spec types most of them as non-nullable strings and integers)."""
    return {key: value for key, value in obj.items() if not key.startswith("_") and value is not None}
