"""The chunking strategy of a file in a vector store: a body part vector stores take, and so do the
vector stores that assistants and threads make on the spot (`tool_resources.file_search.vector_stores`).

`auto` (or none) reports as the static 800/400 it stands for; a static overlap is at most half
the chunk size.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from airflow_openai.emulator.core.errors import bad_request
from airflow_openai.emulator.core.strict import Body

DEFAULT_CHUNKING = {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}


class _Static(Body):
    max_chunk_size_tokens: Annotated[int, Field(ge=100, le=4096)]
    chunk_overlap_tokens: Annotated[int, Field(ge=0)]


class _AutoChunking(Body):
    type: Literal["auto"]


class _StaticChunking(Body):
    type: Literal["static"]
    static: _Static


Chunking = Annotated[_AutoChunking | _StaticChunking, Field(discriminator="type")]


def chunking(strategy: _AutoChunking | _StaticChunking | None) -> dict[str, Any]:
    """The strategy as a file reports it: `auto` (or none) is the static 800/400 it stands for."""
    if isinstance(strategy, _StaticChunking):
        return {"type": "static", "static": strategy.static.model_dump()}
    return {"type": "static", "static": dict(DEFAULT_CHUNKING)}


def check_chunking(strategy: Any, param: str) -> None:
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
