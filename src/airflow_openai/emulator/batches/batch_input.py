"""Validation of a batch input file, line by line, with the rules and error codes of the real service."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MAX_REQUESTS = 50_000
MAX_BYTES = 100 * 1024 * 1024
MAX_REPORTED_ERRORS = 1000


def _error(code: str, message: str, line: int | None = None, param: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "param": param, "line": line}


def read_requests(path: Path, offset: int = 0) -> Iterator[tuple[dict[str, Any], int]]:
    """(request, offset after it) for each non-empty line from byte `offset` of a validated file."""
    with path.open("rb") as source:
        source.seek(offset)
        while raw := source.readline():
            offset += len(raw)
            if raw.strip():
                yield json.loads(raw), offset


def validate(path: Path, endpoint: str) -> tuple[int, list[dict[str, Any]]]:
    """Count the requests of the file and list what is wrong with it (empty when it can run)."""
    errors: list[dict[str, Any]] = []
    size = path.stat().st_size
    if size > MAX_BYTES:
        return 0, [_error("file_too_large", f"The input file is {size} bytes; the limit is {MAX_BYTES}.")]
    seen: set[str] = set()
    count = 0
    with path.open("rb") as source:
        for number, raw in enumerate(source, start=1):
            if not raw.strip():
                continue
            count += 1
            problem = _check_line(raw, endpoint, seen)
            if problem is not None and len(errors) < MAX_REPORTED_ERRORS:
                code, message, param = problem
                errors.append(_error(code, message, number, param))
    if count == 0:
        errors.append(_error("empty_file", "The input file has no requests."))
    if count > MAX_REQUESTS:
        errors.append(
            _error("too_many_requests", f"The input file has {count} requests; the limit is {MAX_REQUESTS}.")
        )
    return count, errors


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _check_line(raw: bytes, endpoint: str, seen: set[str]) -> tuple[str, str, str | None] | None:
    try:
        request = json.loads(raw, parse_constant=_not_json)  # NaN and Infinity are not JSON
    except ValueError:
        return "invalid_json_line", "This line is not parseable as valid JSON.", None
    if not isinstance(request, dict):
        return "invalid_json_line", "Each line must be a JSON object.", None
    custom_id = request.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        return "missing_required_parameter", "Missing required parameter: 'custom_id'.", "custom_id"
    if custom_id in seen:
        return "duplicate_custom_id", f"The custom_id '{custom_id}' is used more than once.", "custom_id"
    seen.add(custom_id)
    if request.get("method") != "POST":
        return "invalid_method", "The method must be 'POST'.", "method"
    if request.get("url") != endpoint:
        return (
            "mismatched_url",
            f"The url '{request.get('url')}' does not match the batch endpoint '{endpoint}'.",
            "url",
        )
    if not isinstance(request.get("body"), dict):
        return "missing_required_parameter", "Missing required parameter: 'body'.", "body"
    return None
