"""Results: output and error files streamed down, joined to their inputs by custom_id, written as JSONL.

Memory stays flat whatever the size: files are streamed to disk, read line by line,
and inputs are looked up in the chunk index rather than loaded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from airflow_openai.batch.chunks import PreparedInput
from airflow_openai.structured import StructuredOutput

RETRYABLE_LINE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
RETRYABLE_LINE_CODES = frozenset({"batch_expired", "rate_limit_exceeded", "server_error"})
ERROR_FIELDS = ("code", "type", "param", "message")
"""What a failed row keeps of the API's error: a null `code` is then explained by `type`."""
JOIN_GROUP = 2000
MISSING_RESULT = "missing_result"


@dataclass
class ResultTally:
    """What the results hold, for the log, the XCom manifest and the failure policy."""

    succeeded: int = 0
    failed: int = 0
    retryable: set[str] = field(default_factory=set)
    usage: dict[str, int] = field(
        default_factory=lambda: {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    )
    failures: dict[str, int] = field(default_factory=dict)

    def count(self, row: dict[str, Any]) -> None:
        if row["status"] == "succeeded":
            self.succeeded += 1
        else:
            self.failed += 1
            error = row["error"]
            reason = str(error.get("code") or error.get("type") or "unknown")
            self.failures[reason] = self.failures.get(reason, 0) + 1

    @property
    def total(self) -> int:
        return self.succeeded + self.failed

    def over(self, max_failed_fraction: float) -> str | None:
        """Why the failed rows are more than `max_failed_fraction` tolerates, or None."""
        if not self.total or self.failed <= max_failed_fraction * self.total:
            return None
        reasons = ", ".join(f"{code}: {n}" for code, n in sorted(self.failures.items()))
        return (
            f"{self.failed} of {self.total} requests failed ({reasons}), more than "
            f"max_failed_fraction={max_failed_fraction}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "succeeded": self.succeeded,
            "failed": self.failed,
            "total": self.total,
            "usage": dict(self.usage),
            "failures_by_reason": dict(self.failures),
        }


def result_rows(
    lines: Iterator[dict[str, Any]],
    batch_id: str,
    structured: StructuredOutput | None,
    tally: ResultTally,
) -> Iterator[dict[str, Any]]:
    """One result row per output or error line, counted into `tally` (inputs are joined later)."""
    for line in lines:
        response = line.get("response") or {}
        status = response.get("status_code")
        body = response.get("body") or {}
        row: dict[str, Any] = {"custom_id": line["custom_id"], "batch_id": batch_id}
        error = line.get("error") or (body.get("error") if status != 200 else None)
        if status == 200 and not error:
            row.update(status="succeeded", response=body)
            content = _content(body)
            if content is not None:
                row["content"] = content
            for key, value in (body.get("usage") or {}).items():
                if key in tally.usage and isinstance(value, int):
                    tally.usage[key] += value
            if structured is not None:
                try:
                    row["parsed"] = structured.parse(content)
                except ValueError as exc:
                    row.update(
                        status="failed", error={"code": "invalid_structured_output", "message": str(exc)}
                    )
        else:
            error = (
                error if isinstance(error, dict) else {"code": f"http_{status}", "message": "request failed"}
            )
            kept = {key: error.get(key) for key in ERROR_FIELDS}
            row.update(status="failed", error=kept)
            if status is not None:
                row["status_code"] = status
            if (
                status in RETRYABLE_LINE_STATUSES
                or (error.get("code") or error.get("type")) in RETRYABLE_LINE_CODES
            ):
                tally.retryable.add(line["custom_id"])
        tally.count(row)
        yield row


def missing_row(custom_id: str, batch_id: str, why: str, tally: ResultTally) -> dict[str, Any]:
    """The row of a request its batch returned no result for: failed, and counted as such."""
    row = {
        "custom_id": custom_id,
        "batch_id": batch_id,
        "status": "failed",
        "error": {"code": MISSING_RESULT, "message": why},
    }
    tally.count(row)
    return row


def _content(body: dict[str, Any]) -> str | None:
    choices = body.get("choices") or []
    if not choices:
        return None
    first = choices[0]
    message = first.get("message")
    if isinstance(message, dict):
        return message.get("content")
    return first.get("text")


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as source:
        for raw in source:
            if raw.strip():
                yield json.loads(raw)


def write_joined(rows: Iterator[dict[str, Any]], prepared: PreparedInput, sink: IO[bytes]) -> None:
    """Write rows with their original input attached, and the row's `metadata` when it had one (its
    own fields, never sent), looking inputs up a group at a time."""
    group: list[dict[str, Any]] = []

    def flush() -> None:
        joined = prepared.joined(row["custom_id"] for row in group)
        out = []
        for row in group:
            custom_id = row.pop("custom_id")
            source, metadata = joined.get(custom_id, ("null", None))
            carried = "" if metadata is None else f', "metadata": {metadata}'
            # The input is spliced in as the JSON text it is stored as: no decoding and encoding again.
            rest = json.dumps(row, ensure_ascii=False)[1:]
            out.append(
                f'{{"custom_id": {json.dumps(custom_id, ensure_ascii=False)}, "input": {source}{carried}, {rest}\n'
            )
        sink.write("".join(out).encode())
        group.clear()

    for row in rows:
        group.append(row)
        if len(group) >= JOIN_GROUP:
            flush()
    if group:
        flush()


class ResultFiles:
    """Result files on local disk under `workdir`: each downloaded once per attempt, whoever asks.

    `again=True` fetches a file a second time (once per attempt, however often it is asked),
    for when it came back shorter than its batch promised. A download that fails half-way
    leaves nothing behind that could be taken for the file.
    """

    def __init__(self, download: Callable[[str, IO[bytes]], int], workdir: Path) -> None:
        self._download = download
        self._dir = workdir / "results"

    def path(self, file_id: str, again: bool = False) -> Path:
        local = self._dir / f"{file_id}.jsonl"
        fetched_again = self._dir / f"{file_id}.again"
        if local.exists() and not (again and not fetched_again.exists()):
            return local
        self._dir.mkdir(parents=True, exist_ok=True)
        partial = self._dir / f"{file_id}.partial"
        with partial.open("wb") as sink:
            self._download(file_id, sink)
        partial.replace(local)
        if again:
            fetched_again.touch()
        return local

    def fetched_again(self, file_id: str) -> bool:
        """This file has already been downloaded a second time in this attempt."""
        return (self._dir / f"{file_id}.again").exists()


def count_lines(path: Path) -> int:
    """Non-blank lines in a local JSONL file, without decoding them."""
    with path.open("rb") as source:
        return sum(1 for raw in source if raw.strip())
