"""Request bodies checked against their spec-named models before anything is sent.

An inference call is paid for, and a body the API would refuse wastes a request (and, in a
DAG, a task try): each builder checks its body with the model the spec names for it
(`CreateChatCompletionRequest`, `CreateSpeechRequest`...) and refuses what fails with an
`InvalidRequestError` naming the field (``messages[0].role``, ``temperature``). What is sent is
the caller's own body, unchanged: the model only judges it (fields it does not know pass).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from airflow_openai.client.errors import InvalidRequestError


def checked(model: type[BaseModel], request: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """`body` without its None values, once `model` accepts it; else an `InvalidRequestError`.
    Tuples and other mappings are read as the JSON arrays and objects they are sent as."""
    given = {key: _json_shaped(value) for key, value in body.items() if value is not None}
    try:
        model.model_validate(given)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise InvalidRequestError(request, field_path(first["loc"]) or "the body", _reason(first)) from None
    return given


def checked_form(
    model: type[BaseModel], request: str, fields: Mapping[str, Any]
) -> dict[str, str | list[str]]:
    """As `checked`, for the fields of a multipart form: each value as the text the form carries
    (`true`, `2`, `0.5`; a list as the field repeated)."""
    return {name: _form_value(value) for name, value in checked(model, request, fields).items()}


def _json_shaped(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _json_shaped(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_shaped(item) for item in value]
    return value


def _form_value(value: Any) -> str | list[str]:
    if isinstance(value, list | tuple):
        return [str(_form_value(item)) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def field_path(loc: tuple[Any, ...]) -> str:
    """`messages[0].role` from pydantic's location, leaving out the names it gives the members of a
    union it tried (`str`, `list[str]`, `constrained-int`, `function-after[...]`)."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not _union_member(part):
            path = f"{path}.{part}" if path else part
    return path


_TAGS = {"str", "int", "float", "bool", "none", "is-instance", "json-or-python", "lax-or-strict", "strict"}


def _union_member(part: str) -> bool:
    return (
        ("[" in part and not part.endswith("[]"))
        or part in _TAGS
        or part.startswith(("constrained-", "function-", "literal["))
    )


def _reason(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        return "is required"
    given = error.get("input")
    shown = repr(given) if len(repr(given)) <= 80 else f"{repr(given)[:77]}..."
    return f"{message[0].lower()}{message[1:]} (got {shown})"
