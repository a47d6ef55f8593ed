"""The request bodies of `/v1/vector_stores` and its control-plane fault, read strictly as the service reads them.

The spec's fields, plus those the official SDK sends (`description` on a store,
`attributes` on files, the per-file `files` form of a file batch); any other field is a
400 `unknown_parameter`. A refusal names the parameter with the service's wording and
code: `file_ids` of 501 items is `array_above_max_length`, a chunk size of 50 is
`integer_below_min_value`, an overlap over half the chunk size is `invalid_value`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from airflow_openai.emulator.errors import EmulatorError, bad_request

MAX_FILES = 500
"""`file_ids` of a store or a file batch: the spec's `maxItems`."""
MAX_PAIRS = 16
MAX_KEY = 64
MAX_VALUE = 512
DEFAULT_CHUNKING = {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}
LAST_ERROR_CODES = ("server_error", "unsupported_file", "invalid_file")


class _Body(BaseModel):
    """No coercion (`"3"` is not a number) and no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class _Static(_Body):
    max_chunk_size_tokens: Annotated[int, Field(ge=100, le=4096)]
    chunk_overlap_tokens: Annotated[int, Field(ge=0)]


class _AutoChunking(_Body):
    type: Literal["auto"]


class _StaticChunking(_Body):
    type: Literal["static"]
    static: _Static


Chunking = Annotated[_AutoChunking | _StaticChunking, Field(discriminator="type")]
Metadata = dict[str, str]
Attributes = dict[str, str | bool | int | float]
FileIds = Annotated[list[str], Field(min_length=1, max_length=MAX_FILES)]


class ExpiresAfter(_Body):
    anchor: Literal["last_active_at"]
    days: Annotated[int, Field(ge=1, le=365)]


class CreateVectorStoreRequest(_Body):
    name: str | None = None
    description: str | None = None
    file_ids: Annotated[list[str], Field(max_length=MAX_FILES)] | None = None
    expires_after: ExpiresAfter | None = None
    chunking_strategy: Chunking | None = None
    metadata: Metadata | None = None


class UpdateVectorStoreRequest(_Body):
    """A field left out is kept; `expires_after: null` removes the policy; `name` or `metadata` null keep theirs."""

    name: str | None = None
    expires_after: ExpiresAfter | None = None
    metadata: Metadata | None = None


class CreateVectorStoreFileRequest(_Body):
    file_id: Annotated[str, Field(min_length=1)]
    chunking_strategy: Chunking | None = None
    attributes: Attributes | None = None


class BatchFile(_Body):
    """One item of a file batch's `files` form: its own attributes and chunking."""

    file_id: Annotated[str, Field(min_length=1)]
    chunking_strategy: Chunking | None = None
    attributes: Attributes | None = None


class CreateVectorStoreFileBatchRequest(_Body):
    """`file_ids` (with one chunking and attributes for all) or `files` (each its own), not both."""

    file_ids: FileIds | None = None
    files: Annotated[list[BatchFile], Field(min_length=1, max_length=MAX_FILES)] | None = None
    chunking_strategy: Chunking | None = None
    attributes: Attributes | None = None


class FailVectorStoreFileRequest(_Body):
    """`POST /_emulator/faults/vector_store_files`: the next attachment of a matching file fails."""

    file_id: Annotated[str, Field(min_length=1)] | None = None
    filename: Annotated[str, Field(min_length=1)] | None = None
    code: Literal["server_error", "unsupported_file", "invalid_file"] = "server_error"
    message: Annotated[str, Field(min_length=1)] = "The file could not be processed due to a server error."


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], body: Any) -> M:
    """`body` as a `model`, its limits checked, or the service's 400 naming the first bad parameter."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.", code="invalid_value")
    try:
        parsed = model.model_validate(body)
    except ValidationError as exc:
        raise _refusal(exc) from None
    _check_pairs(parsed)
    return parsed


def chunking(strategy: _AutoChunking | _StaticChunking | None) -> dict[str, Any]:
    """The strategy as a file reports it: `auto` (or none) is the static 800/400 it stands for."""
    if isinstance(strategy, _StaticChunking):
        return {"type": "static", "static": strategy.static.model_dump()}
    return {"type": "static", "static": dict(DEFAULT_CHUNKING)}


def _check_pairs(parsed: BaseModel) -> None:
    """Metadata and attributes: at most 16 pairs, keys of at most 64 characters, strings of at most 512;
    a static chunking's overlap at most half its chunk size."""
    for name in ("metadata", "attributes"):
        check_metadata(getattr(parsed, name, None), name)
    for index, item in enumerate(getattr(parsed, "files", None) or []):
        check_metadata(item.attributes, f"files[{index}].attributes")
        _check_chunking(item.chunking_strategy, f"files[{index}].chunking_strategy")
    _check_chunking(getattr(parsed, "chunking_strategy", None), "chunking_strategy")


def check_metadata(pairs: dict[str, Any] | None, param: str) -> None:
    """The spec's `Metadata` limits (16 pairs, keys of up to 64 characters, string values of up to
    512), refused as the service refuses them; stores, files, assistants, threads, messages, runs
    and fine-tuning jobs all check their metadata here."""
    if pairs is None:
        return
    if len(pairs) > MAX_PAIRS:
        raise bad_request(
            f"Invalid '{param}': too many properties. Expected an object with at most {MAX_PAIRS} properties, "
            f"but got an object with {len(pairs)} properties instead.",
            param=param,
            code="object_above_max_properties",
        )
    for key, value in pairs.items():
        if len(key) > MAX_KEY:
            raise bad_request(
                f"Invalid '{param}': key '{key[:20]}...' is too long. Keys hold at most {MAX_KEY} characters, "
                f"but this one has {len(key)}.",
                param=param,
                code="invalid_value",
            )
        if isinstance(value, str) and len(value) > MAX_VALUE:
            raise bad_request(
                f"Invalid '{param}.{key}': string too long. Expected a string with maximum length {MAX_VALUE}, "
                f"but got a string with length {len(value)} instead.",
                param=f"{param}.{key}",
                code="string_above_max_length",
            )


def _check_chunking(strategy: Any, param: str) -> None:
    if not isinstance(strategy, _StaticChunking):
        return
    size, overlap = strategy.static.max_chunk_size_tokens, strategy.static.chunk_overlap_tokens
    if overlap * 2 > size:
        raise bad_request(
            f"Invalid '{param}.static.chunk_overlap_tokens': the overlap must not exceed half of "
            f"max_chunk_size_tokens ({size}); got {overlap}.",
            param=f"{param}.static.chunk_overlap_tokens",
            code="invalid_value",
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


def _refusal(exc: ValidationError) -> EmulatorError:
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
        return bad_request(
            f"Invalid '{param}': integer below minimum value. Expected a value >= {ctx['ge']}, but got {got} "
            "instead.",
            param=param,
            code="integer_below_min_value",
        )
    if kind == "less_than_equal":
        return bad_request(
            f"Invalid '{param}': integer above maximum value. Expected a value <= {ctx['le']}, but got {got} "
            "instead.",
            param=param,
            code="integer_above_max_value",
        )
    if kind == "too_long":
        return bad_request(
            f"Invalid '{param}': array too long. Expected an array with maximum length {ctx['max_length']}, "
            f"but got an array with length {ctx['actual_length']} instead.",
            param=param,
            code="array_above_max_length",
        )
    if kind in ("too_short", "string_too_short"):
        noun = "array" if isinstance(got, list) else "string"
        return bad_request(
            f"Invalid '{param}': empty {noun}. Expected a {noun} with minimum length {ctx['min_length']}, "
            f"but got an empty {noun} instead.",
            param=param,
            code="empty_array" if noun == "array" else "empty_string",
        )
    if kind in ("literal_error", "union_tag_invalid", "union_tag_not_found"):
        return bad_request(f"Invalid value for '{param}': {first['msg']}.", param=param, code="invalid_value")
    return bad_request(f"Invalid type for '{param}': {first['msg']}.", param=param, code="invalid_type")
