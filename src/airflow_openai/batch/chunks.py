"""Split checked request lines into batch input files within the Batch API's limits.

Each chunk is a JSONL file on local disk with its request count and a fingerprint of
its exact bytes; the fingerprint is what lets a retried task recognise its own batch.
The original input of every line is kept in a small SQLite index beside the chunks,
with the chunk it went into and the row's `metadata` (never written to a chunk: it is
not for the API), for joining results back and for knowing which requests each batch
was given, without holding the inputs in memory.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_openai.batch.requests import ROW_METADATA

MAX_REQUESTS_PER_BATCH = 50_000
MAX_BYTES_PER_BATCH = 100 * 1024 * 1024
MAX_EMBEDDING_INPUTS_PER_BATCH = 50_000
LOOKUP_GROUP = 900


@dataclass
class Chunk:
    index: int
    path: Path
    requests: int = 0
    bytes: int = 0
    embedding_inputs: int = 0
    digest: Any = field(default_factory=hashlib.sha256, repr=False)

    @property
    def fingerprint(self) -> str:
        return self.digest.hexdigest()[:32]


@dataclass
class PreparedInput:
    """Chunks ready to upload, and the index of original inputs by custom_id."""

    chunks: list[Chunk]
    index_path: Path

    @property
    def total(self) -> int:
        return sum(chunk.requests for chunk in self.chunks)

    def inputs(self, custom_ids: Iterable[str]) -> dict[str, str]:
        """The original inputs of these custom_ids, as JSON text (only these rows are read)."""
        return {custom_id: source for custom_id, (source, _) in self.joined(custom_ids).items()}

    def joined(self, custom_ids: Iterable[str]) -> dict[str, tuple[str, str | None]]:
        """The original input and the row's `metadata` (None when it had none) of these custom_ids,
        as JSON text (only these rows are read)."""
        wanted = list(custom_ids)
        found: dict[str, tuple[str, str | None]] = {}
        with contextlib.closing(sqlite3.connect(self.index_path)) as db:
            for start in range(0, len(wanted), LOOKUP_GROUP):
                group = wanted[start : start + LOOKUP_GROUP]
                marks = ",".join("?" * len(group))
                rows = db.execute(
                    f"SELECT custom_id, source, metadata FROM inputs WHERE custom_id IN ({marks})", group
                )
                found.update((custom_id, (source, metadata)) for custom_id, source, metadata in rows)
        return found

    def custom_ids(self, chunk: int) -> Iterator[str]:
        """The custom_ids of one chunk, read from the index as they are consumed."""
        with contextlib.closing(sqlite3.connect(self.index_path)) as db:
            yield from (
                row[0] for row in db.execute("SELECT custom_id FROM inputs WHERE chunk = ?", (chunk,))
            )

    def requests_for(self, custom_ids: set[str]) -> Iterator[dict[str, Any]]:
        """The request lines of these custom_ids, read back from the chunk files."""
        for chunk in self.chunks:
            with chunk.path.open("rb") as source:
                for raw in source:
                    request = json.loads(raw)
                    if request["custom_id"] in custom_ids:
                        yield request


def prepare(lines: Iterable[tuple[dict[str, Any], Any]], workdir: Path, endpoint: str) -> PreparedInput:
    """Write checked lines into chunk files under `workdir`, starting a new chunk before any limit is crossed.

    A line's `metadata` (see `requests.checked`) goes to the index only: the file holds what is sent.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    index_path = workdir / "inputs.sqlite3"
    index_path.unlink(missing_ok=True)
    db = sqlite3.connect(index_path)
    db.execute("CREATE TABLE inputs (custom_id TEXT PRIMARY KEY, source TEXT, chunk INTEGER, metadata TEXT)")
    chunks: list[Chunk] = []
    current: Chunk | None = None
    sink = None
    try:
        for number, (line, source) in enumerate(lines, start=1):
            request = {key: value for key, value in line.items() if key != ROW_METADATA}
            metadata = line.get(ROW_METADATA)
            encoded = _encoded(request, number)
            inputs = _embedding_inputs(request) if endpoint == "/v1/embeddings" else 0
            if current is None or _full(current, len(encoded), inputs):
                if sink is not None:
                    sink.close()
                current = Chunk(len(chunks), workdir / f"batch-input-{len(chunks):04d}.jsonl")
                chunks.append(current)
                sink = current.path.open("wb")
            assert sink is not None
            sink.write(encoded)
            current.digest.update(encoded)
            current.requests += 1
            current.bytes += len(encoded)
            current.embedding_inputs += inputs
            db.execute(
                "INSERT INTO inputs VALUES (?, ?, ?, ?)",
                (
                    request["custom_id"],
                    json.dumps(source, default=str),
                    current.index,
                    None if metadata is None else _metadata_json(metadata, number),
                ),
            )
        db.execute("CREATE INDEX inputs_by_chunk ON inputs (chunk)")
    finally:
        if sink is not None:
            sink.close()
        db.commit()
        db.close()
    return PreparedInput(chunks, index_path)


def _encoded(request: dict[str, Any], number: int) -> bytes:
    """The line's bytes; prompts and requests given as Python objects may hold what JSON
    text read from a file cannot (NaN, lone surrogates), and the API refuses both."""
    from airflow_openai.batch.requests import InvalidBatchInput
    from airflow_openai.jsonl import UnreadableLine, refuse_unencodable

    try:
        return refuse_unencodable(request) + b"\n"
    except UnreadableLine as exc:
        raise InvalidBatchInput(number, str(exc)) from None


def _metadata_json(metadata: Any, number: int) -> str:
    """A row's `metadata` as the JSON text its result row holds; what JSON text cannot carry (NaN,
    a lone surrogate) is refused, naming the line, rather than making the results file unreadable.
    Values JSON has no type for (dates, ids) are written as their text."""
    from airflow_openai.batch.requests import InvalidBatchInput

    try:
        text = json.dumps(metadata, ensure_ascii=False, allow_nan=False, default=str)
    except ValueError:
        raise InvalidBatchInput(number, "metadata holds NaN or Infinity, which is not valid JSON") from None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidBatchInput(
            number,
            f"metadata holds a lone surrogate (U+{ord(exc.object[exc.start]):04X}), which is not UTF-8 text",
        ) from None
    return text


def _full(chunk: Chunk, size: int, inputs: int) -> bool:
    return (
        chunk.requests + 1 > MAX_REQUESTS_PER_BATCH
        or chunk.bytes + size > MAX_BYTES_PER_BATCH
        or chunk.embedding_inputs + inputs > MAX_EMBEDDING_INPUTS_PER_BATCH
    )


def _embedding_inputs(request: dict[str, Any]) -> int:
    value = request["body"].get("input")
    return len(value) if isinstance(value, list) and value and not isinstance(value[0], int) else 1
