"""`/embeddings`: the request the builder checks and the answer, its vectors always lists of floats."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from airflow_openai.models.base import OpenAIObject, RequestBody
from airflow_openai.models.chat import Name

MAX_INPUTS = 2048


class CreateEmbeddingRequest(RequestBody):
    model: Name
    input: (
        str
        | Annotated[list[str], Field(min_length=1, max_length=MAX_INPUTS)]
        | Annotated[list[int], Field(min_length=1, max_length=MAX_INPUTS)]
        | Annotated[
            list[Annotated[list[int], Field(min_length=1)]], Field(min_length=1, max_length=MAX_INPUTS)
        ]
    )
    dimensions: Annotated[int, Field(ge=1)] | None = None
    encoding_format: Literal["float", "base64"] | None = None
    user: str | None = None


class Embedding(OpenAIObject):
    """One input's vector. Asked for as `base64`, it is decoded (little-endian float32) before it gets here."""

    index: int
    object: Literal["embedding"] | str = "embedding"
    embedding: list[float]


class EmbeddingUsage(OpenAIObject):
    prompt_tokens: int = 0
    total_tokens: int = 0


class CreateEmbeddingResponse(OpenAIObject):
    object: Literal["list"] | str = "list"
    model: str
    data: list[Embedding]
    usage: EmbeddingUsage | None = None
