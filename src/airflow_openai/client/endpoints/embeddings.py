"""`/embeddings`: one vector per input, always handed over as a list of floats.

Unless told otherwise the vectors are asked for as `base64` (as the official SDK does): a
quarter of the bytes of the JSON numbers, and the float32 values exactly. Whatever the format,
they are decoded here (little-endian float32), so `embedding` is always a `list[float]`; a
server that answers with numbers anyway is read as it is.
"""

from __future__ import annotations

import array
import base64
import sys
from typing import Any

from airflow_openai.client.calls import ApiCall
from airflow_openai.client.checked import checked
from airflow_openai.models import CreateEmbeddingRequest, CreateEmbeddingResponse


def create_embedding(
    model: str, input: str | list[Any], *, encoding_format: str | None = None, **options: Any
) -> ApiCall[CreateEmbeddingResponse]:
    """Vectors of `input` (a string, strings, or token ids); `options` are the spec's other fields
    (dimensions, user). Checked as `CreateEmbeddingRequest` before sending."""
    fields = {"model": model, "input": input, "encoding_format": encoding_format or "base64", **options}
    body = checked(CreateEmbeddingRequest, "POST /embeddings", fields)
    return ApiCall("POST", "/embeddings", _embeddings, json=body)


def _embeddings(value: Any) -> CreateEmbeddingResponse:
    items = value.get("data") if isinstance(value, dict) else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("embedding"), str):
            item["embedding"] = decode_vector(item["embedding"])
    return CreateEmbeddingResponse.model_validate(value)


def decode_vector(text: str) -> list[float]:
    """The floats of a base64 vector: little-endian float32, as the API packs them."""
    raw = base64.b64decode(text, validate=True)
    if len(raw) % 4:
        raise ValueError(f"a base64 embedding of {len(raw)} bytes is not a whole number of float32 values")
    vector = array.array("f", raw)
    if sys.byteorder == "big":
        vector.byteswap()
    return vector.tolist()
