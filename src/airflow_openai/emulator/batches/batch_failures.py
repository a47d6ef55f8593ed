"""Why a batch's lines failed, read from its error file for the dashboard: counts by error code and
the first few lines as examples.

An error line is either a request the model refused (`response.status_code` 4xx/5xx, the error
in `response.body.error`) or one the batch never ran (`response: null`, `error.code`
`batch_cancelled` / `batch_expired`). While a batch runs, its error lines so far are in the
partial file `batch_lifecycle` appends to; once it has ended, in its error file.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_openai.emulator.batches import batch_lifecycle
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj

SCANNED_LINES = 100_000
"""Error lines read at most: a page about a huge batch stays quick."""
EXAMPLES = 5


@dataclass
class Failure:
    custom_id: str
    status: int | None
    code: str
    message: str


@dataclass
class Failures:
    by_code: Counter[str] = field(default_factory=Counter)
    first_message: dict[str, str] = field(default_factory=dict)
    examples: list[Failure] = field(default_factory=list)
    scanned: int = 0
    cut_short: bool = False


def error_lines(state: EmulatorState, batch: Obj) -> Path | None:
    """Where the batch's error lines are: its error file once it has one, else the lines so far."""
    if batch.get("error_file_id"):
        return state.store.content(batch["error_file_id"])
    if batch["status"] in batch_lifecycle.TERMINAL:
        return None
    partial = batch_lifecycle._partial(state, batch, "error")
    return partial if partial.exists() else None


def read(path: Path | None) -> Failures:
    """The failures in an error file: counted by code, with the first `EXAMPLES` of them."""
    found = Failures()
    if path is None or not path.exists():
        return found
    with path.open() as lines:
        for text in lines:
            if not text.endswith("\n"):
                break  # a line still being written
            if not text.strip():
                continue
            if found.scanned >= SCANNED_LINES:
                found.cut_short = True
                break
            found.scanned += 1
            failure = _failure(text)
            found.by_code[failure.code] += 1
            found.first_message.setdefault(failure.code, failure.message)
            if len(found.examples) < EXAMPLES:
                found.examples.append(failure)
    return found


def _failure(text: str) -> Failure:
    try:
        line: Any = json.loads(text)
    except ValueError:
        return Failure("", None, "unreadable_line", text[:200])
    response = line.get("response") or {}
    error = line.get("error") or (response.get("body") or {}).get("error") or {}
    status = response.get("status_code")
    code = error.get("code") or error.get("type") or (f"http_{status}" if status else "unknown")
    return Failure(str(line.get("custom_id") or ""), status, str(code), str(error.get("message") or ""))
