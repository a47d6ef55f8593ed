"""Results: output and error files streamed down, joined to their inputs by custom_id, written as JSONL.

Memory stays flat whatever the size: files are streamed to disk, read line by line,
and inputs are looked up in the chunk index rather than loaded.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from airflow_openai.batch.chunks import PreparedInput
from airflow_openai.batch.structured import StructuredOutput

RETRYABLE_LINE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
RETRYABLE_LINE_CODES = frozenset({"batch_expired", "rate_limit_exceeded", "server_error"})
JOIN_GROUP = 2000


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

    @property
    def total(self) -> int:
        return self.succeeded + self.failed

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
            error = error or {"code": f"http_{status}", "message": "request failed"}
            row.update(status="failed", error={"code": error.get("code"), "message": error.get("message")})
            if status is not None:
                row["status_code"] = status
            if status in RETRYABLE_LINE_STATUSES or error.get("code") in RETRYABLE_LINE_CODES:
                tally.retryable.add(line["custom_id"])
        if row["status"] == "succeeded":
            tally.succeeded += 1
        else:
            tally.failed += 1
            reason = str(row["error"].get("code") or "unknown")
            tally.failures[reason] = tally.failures.get(reason, 0) + 1
        yield row


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
    """Write rows with their original input attached, looking inputs up a group at a time."""
    group: list[dict[str, Any]] = []

    def flush() -> None:
        inputs = prepared.inputs(row["custom_id"] for row in group)
        out = []
        for row in group:
            custom_id = row.pop("custom_id")
            # The input is spliced in as the JSON text it is stored as: no decoding and encoding again.
            rest = json.dumps(row, ensure_ascii=False)[1:]
            out.append(
                f'{{"custom_id": {json.dumps(custom_id, ensure_ascii=False)}, "input": {inputs.get(custom_id, "null")}, {rest}\n'
            )
        sink.write("".join(out).encode())
        group.clear()

    for row in rows:
        group.append(row)
        if len(group) >= JOIN_GROUP:
            flush()
    if group:
        flush()


def download_lines(
    download: Callable[[str, IO[bytes]], int], file_id: str | None, workdir: Path
) -> Iterator[dict[str, Any]]:
    """Stream a result file to local disk, then read it line by line."""
    if not file_id:
        return iter(())
    with tempfile.NamedTemporaryFile(
        dir=workdir, prefix=f"{file_id}-", suffix=".jsonl", delete=False
    ) as local:
        download(file_id, local)
    return read_jsonl(Path(local.name))
