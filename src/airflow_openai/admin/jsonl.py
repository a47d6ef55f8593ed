"""Writing records as JSONL: one compact UTF-8 JSON object per line."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any


def encode_line(record: Any) -> bytes:
    """`record` as one line of compact UTF-8 JSON, newline included."""
    return (json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


def write_jsonl(records: Iterable[Any], sink: IO[bytes]) -> int:
    """Write each record as one line; returns how many lines were written."""
    written = 0
    for record in records:
        sink.write(encode_line(record))
        written += 1
    return written
