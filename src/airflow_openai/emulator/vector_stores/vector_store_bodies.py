"""The request bodies of `/v1/vector_stores` and its control-plane fault, read strictly as the service reads them.

The spec's fields, plus those the official SDK sends (`description` on a store,
`attributes` on files, the per-file `files` form of a file batch); any other field is a
400 `unknown_parameter`. A refusal names the parameter with the service's wording and
code: `file_ids` of 501 items is `array_above_max_length`, a chunk size of 50 is
`integer_below_min_value`, an overlap over half the chunk size is `invalid_value`. The strict
reading and its wording are `core.strict`'s, the chunking strategy `core.chunking`'s.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, Field

from airflow_openai.emulator.core import strict
from airflow_openai.emulator.core.chunking import Chunking, check_chunking
from airflow_openai.emulator.core.strict import Body as _Body
from airflow_openai.emulator.core.strict import check_metadata

MAX_FILES = 500
"""`file_ids` of a store or a file batch: the spec's `maxItems`."""
LAST_ERROR_CODES = ("server_error", "unsupported_file", "invalid_file")

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
    parsed = strict.parse(model, body)
    _check_pairs(parsed)
    return parsed


def _check_pairs(parsed: BaseModel) -> None:
    """Metadata and attributes: at most 16 pairs, keys of at most 64 characters, strings of at most 512;
    a static chunking's overlap at most half its chunk size."""
    for name in ("metadata", "attributes"):
        check_metadata(getattr(parsed, name, None), name)
    for index, item in enumerate(getattr(parsed, "files", None) or []):
        check_metadata(item.attributes, f"files[{index}].attributes")
        check_chunking(item.chunking_strategy, f"files[{index}].chunking_strategy")
    check_chunking(getattr(parsed, "chunking_strategy", None), "chunking_strategy")
