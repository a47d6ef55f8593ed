"""Request bodies read strictly and refused in the service's words: no coercion (`"3"` is not a
number), no unknown fields, and a refusal naming the parameter as the service writes it
(`files[2].file_id`) with its code (`integer_below_min_value`, `array_above_max_length`...).

Vector stores and the organization read their bodies with `parse`; `check_metadata` holds the
spec's `Metadata` limits for every service whose objects carry metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from airflow_openai.emulator.core.errors import EmulatorError, bad_request

MAX_PAIRS = 16
MAX_KEY = 64
MAX_VALUE = 512


class Body(BaseModel):
    """No coercion (`"3"` is not a number) and no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], body: Any, refuse: Callable[[ValidationError], EmulatorError] | None = None) -> M:
    """`body` as a `model`, or the 400 naming the first bad parameter: in the service's wording
    (`refusal`) unless `refuse` words it otherwise."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.", code="invalid_value")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise (refuse or refusal)(exc) from None


def check_metadata(pairs: dict[str, Any] | None, param: str) -> None:
    """The spec's `Metadata` limits (16 pairs, keys of up to 64 characters, string values of up to
    512), refused as the service refuses them; stores, files, assistants, threads, messages, runs
    and fine-tuning jobs all check their metadata here."""
    if pairs is None:
        return
    if len(pairs) > MAX_PAIRS:
        expected = f"an object with at most {MAX_PAIRS} properties"
        got = f"an object with {len(pairs)} properties"
        raise invalid(param, "too many properties", expected, got, code="object_above_max_properties")
    for key, value in pairs.items():
        if len(key) > MAX_KEY:
            raise bad_request(
                f"Invalid '{param}': key '{key[:20]}...' is too long. Keys hold at most {MAX_KEY} characters, "
                f"but this one has {len(key)}.",
                param=param,
                code="invalid_value",
            )
        if isinstance(value, str) and len(value) > MAX_VALUE:
            expected = f"a string with maximum length {MAX_VALUE}"
            got = f"a string with length {len(value)}"
            raise invalid(f"{param}.{key}", "string too long", expected, got, code="string_above_max_length")


def invalid(param: str, problem: str, expected: str, got: Any, *, code: str) -> EmulatorError:
    """A value out of its bounds, refused in the service's sentence: `Invalid 'metadata': too many
    properties. Expected an object with at most 16 properties, but got an object with 17 properties
    instead.` Written once here for the metadata limits and the bounds of the strict bodies' fields."""
    return bad_request(
        f"Invalid '{param}': {problem}. Expected {expected}, but got {got} instead.", param=param, code=code
    )


def _param(loc: tuple[Any, ...]) -> str:
    """Field names and indices as the service writes them (`files[2].file_id`), without the union's
    tag that pydantic puts after a discriminated field (`chunking_strategy.static.static...`)."""
    parts: list[str] = []
    for position, part in enumerate(loc):
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1]}[{part}]" if parts else f"[{part}]"]
        elif position > 0 and loc[position - 1] == "chunking_strategy" and part in ("auto", "static"):
            continue
        else:
            parts.append(str(part))
    return ".".join(parts)


def refusal(exc: ValidationError) -> EmulatorError:
    first = exc.errors()[0]
    param = _param(tuple(first["loc"]))
    kind, ctx, got = first["type"], first.get("ctx") or {}, first.get("input")
    if kind == "missing":
        return bad_request(
            f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
        )
    if kind == "extra_forbidden":
        return bad_request(f"Unknown parameter: '{param}'.", param=param, code="unknown_parameter")
    if kind == "greater_than_equal":
        return invalid(
            param,
            "integer below minimum value",
            f"a value >= {ctx['ge']}",
            got,
            code="integer_below_min_value",
        )
    if kind == "less_than_equal":
        return invalid(
            param,
            "integer above maximum value",
            f"a value <= {ctx['le']}",
            got,
            code="integer_above_max_value",
        )
    if kind == "too_long":
        expected = f"an array with maximum length {ctx['max_length']}"
        length = f"an array with length {ctx['actual_length']}"
        return invalid(param, "array too long", expected, length, code="array_above_max_length")
    if kind in ("too_short", "string_too_short"):
        noun = "array" if isinstance(got, list) else "string"
        expected = f"a {noun} with minimum length {ctx['min_length']}"
        code = "empty_array" if noun == "array" else "empty_string"
        return invalid(param, f"empty {noun}", expected, f"an empty {noun}", code=code)
    if kind in ("literal_error", "union_tag_invalid", "union_tag_not_found"):
        return bad_request(f"Invalid value for '{param}': {first['msg']}.", param=param, code="invalid_value")
    return bad_request(f"Invalid type for '{param}': {first['msg']}.", param=param, code="invalid_type")
