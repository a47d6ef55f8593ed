"""Every request body as the bytes the API is sent, refused before sending when it cannot be.

The API takes UTF-8 text only. A Python string may hold what UTF-8 cannot encode: a lone
surrogate (``"\\ud800"``, from a bad ``\\u`` escape or a file name read with
``surrogateescape``). Left to httpx, such a string ends in a raw `UnicodeEncodeError`
(or, for a multipart field, a failure halfway through sending the body). Here a call's JSON
body is encoded once, exactly as httpx would encode it, and its query parameters, form
fields and file names are checked; what cannot be sent is an `UnencodableTextError` naming
the field (``metadata.title``, ``messages[1].content``) before any request goes out.

Cost: the JSON body is encoded once per attempt, as httpx did anyway, and walked only when that
fails, to name the field. File contents are bytes and never looked at.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from airflow_openai.client.errors import UnencodableTextError

if TYPE_CHECKING:
    from airflow_openai.client.calls import ApiCall


def json_body(call: ApiCall[Any]) -> bytes | None:
    """The call's JSON body as UTF-8 bytes (httpx's own encoding), None for a call without one."""
    if call.json is None:
        return None
    try:
        text = json.dumps(call.json, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return text.encode("utf-8")
    except (UnicodeEncodeError, ValueError):
        found = next(_faults(call.json, ""), None)
        if found is None:
            raise  # not about the text (say, a circular reference): the provider's own bug
        raise UnencodableTextError(call.describe, found[0] or "the body", found[1]) from None


def check_fields(call: ApiCall[Any]) -> None:
    """Refuse query parameters, form fields and file names that are not UTF-8 text."""
    for name, value in (call.params or {}).items():
        _check_text(call, f"query parameter {name!r}", value)
        _check_text(call, "a query parameter's name", name)
    for name, value in (call.form or {}).items():
        for item in value if isinstance(value, list) else [value]:
            _check_text(call, f"form field {name!r}", item)
    for name, part in (call.files or {}).items():
        _check_text(call, f"the file name of form part {name!r}", part.filename)


def path_segment(value: str) -> None:
    """Refuse an id for the request path that is not UTF-8 text (it could not be quoted)."""
    reason = text_fault(value)
    if reason is not None:
        raise UnencodableTextError("a request", f"the id {value!r} in the request path", reason)


def text_fault(value: str) -> str | None:
    """Why `value` is not UTF-8 text, or None when it is (the common case costs one C call)."""
    if value.isascii():
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"holds a lone surrogate (U+{ord(value[exc.start]):04X} at character {exc.start + 1}), "
            "which is not UTF-8 text"
        )
    return None


def _check_text(call: ApiCall[Any], where: str, value: Any) -> None:
    if isinstance(value, str):
        reason = text_fault(value)
        if reason is not None:
            raise UnencodableTextError(call.describe, where, reason)


def _faults(value: Any, path: str, _open: frozenset[int] = frozenset()) -> Iterator[tuple[str, str]]:
    """(field path, reason) for each value of a JSON body that cannot be sent, in document order."""
    if isinstance(value, str):
        reason = text_fault(value)
        if reason is not None:
            yield path, reason
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield path, f"is {value!r}, which is not valid JSON (the API refuses NaN and Infinity)"
    elif isinstance(value, Mapping | list | tuple):
        if id(value) in _open:
            return
        inner = _open | {id(value)}
        if isinstance(value, Mapping):
            for key, item in value.items():
                here = _key_path(path, key)
                if isinstance(key, str) and text_fault(key) is not None:
                    yield here, f"is a key that {text_fault(key)}"
                yield from _faults(item, here, inner)
        else:
            for index, item in enumerate(value):
                yield from _faults(item, f"{path}[{index}]", inner)


def _key_path(path: str, key: Any) -> str:
    """`metadata.title`, or `metadata['a key']` for a key that is not a plain name (surrogates escaped)."""
    if isinstance(key, str) and key.isascii() and key.isidentifier():
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"
