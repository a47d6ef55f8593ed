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
        value = json.loads(raw, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise UnreadableLine(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if "\\ud" in raw.lower():  # a \uXXXX escape may have made a lone surrogate, which is no UTF-8
        refuse_unencodable(value)
    return value


def _refuse_constant(name: str) -> Any:
    """`json.loads` takes NaN and Infinity; the API's JSON parser does not."""
    raise UnreadableLine(f"{name} is not valid JSON (the API refuses NaN and Infinity)")


def refuse_unencodable(value: Any) -> bytes:
    """`value` as the compact UTF-8 JSON the API is sent, or `UnreadableLine` if it cannot be:
    NaN or Infinity in a float, or a lone surrogate in a string (an unpaired \\ud800 escape)."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise UnreadableLine("holds NaN or Infinity, which is not valid JSON (the API refuses it)") from None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UnreadableLine(
            f"holds a lone surrogate (U+{ord(exc.object[exc.start]):04X}), which is not UTF-8 text"
        ) from None
