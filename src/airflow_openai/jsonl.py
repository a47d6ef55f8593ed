"""Reading one JSONL line the way the API will: UTF-8, then JSON, with a reason a person can act on."""

from __future__ import annotations

import json
from typing import Any


class UnreadableLine(ValueError):
    """A line that is not UTF-8 text or not JSON; the message says which, and where."""


def parse_line(raw: bytes | str) -> Any:
    """The JSON value of one line, or `UnreadableLine` naming the byte or column at fault."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnreadableLine(
                f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start + 1})"
            ) from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UnreadableLine(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
