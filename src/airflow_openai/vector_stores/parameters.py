"""The store and chunking settings the API would refuse, refused before any upload.

The service checks `chunking_strategy` only when the first file batch is created, after the
store exists and every file is uploaded; the limits come from the spec
(`StaticChunkingStrategy`: chunks of 100 to 4,096 tokens, an overlap of at most half a chunk;
`VectorStoreExpirationAfter`: anchor `last_active_at`, 1 to 365 days; `Metadata`: 16 pairs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_openai.metadata import METADATA_KEY_MAX, METADATA_PAIRS, METADATA_VALUE_MAX

STORE_KEY_METADATA = "airflow_store_key"


def check_chunking_strategy(strategy: Any) -> dict[str, Any] | None:
    if strategy is None:
        return None
    if not isinstance(strategy, Mapping) or strategy.get("type") not in ("auto", "static"):
        raise ValueError("chunking_strategy must be {'type': 'auto'} or {'type': 'static', 'static': {...}}")
    if strategy["type"] == "auto":
        if set(strategy) != {"type"}:
            raise ValueError("chunking_strategy of type 'auto' takes no other field")
        return dict(strategy)
    static = strategy.get("static")
    if set(strategy) != {"type", "static"} or not isinstance(static, Mapping):
        raise ValueError(
            "chunking_strategy of type 'static' needs 'static': {max_chunk_size_tokens, chunk_overlap_tokens}"
        )
    size: Any = static.get("max_chunk_size_tokens")
    overlap: Any = static.get("chunk_overlap_tokens")
    if set(static) != {"max_chunk_size_tokens", "chunk_overlap_tokens"}:
        raise ValueError(
            "chunking_strategy.static takes max_chunk_size_tokens and chunk_overlap_tokens, both"
        )
    if not _integer(size) or not 100 <= size <= 4096:
        raise ValueError(
            f"chunking_strategy.static.max_chunk_size_tokens must be an integer from 100 to 4096 (got {size!r})"
        )
    if not _integer(overlap) or not 0 <= overlap <= size // 2:
        raise ValueError(
            f"chunking_strategy.static.chunk_overlap_tokens must be an integer from 0 to half the chunk "
            f"size, {size // 2} (got {overlap!r})"
        )
    return {"type": "static", "static": {"max_chunk_size_tokens": size, "chunk_overlap_tokens": overlap}}


def check_expires_after(expires_after: Any) -> dict[str, Any] | None:
    if expires_after is None:
        return None
    if not isinstance(expires_after, Mapping) or set(expires_after) != {"anchor", "days"}:
        raise ValueError("expires_after must be {'anchor': 'last_active_at', 'days': 1..365}")
    days = expires_after["days"]
    if expires_after["anchor"] != "last_active_at" or not _integer(days) or not 1 <= days <= 365:
        raise ValueError(
            f"expires_after must have anchor 'last_active_at' and days from 1 to 365 (got {dict(expires_after)})"
        )
    return dict(expires_after)


def check_store_metadata(metadata: Any) -> dict[str, str]:
    """The user's metadata, leaving one of the API's 16 pairs for the store key."""
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise ValueError(f"metadata must be a dict of strings, not {type(metadata).__name__}")
    if len(metadata) > METADATA_PAIRS - 1:
        raise ValueError(
            f"metadata has {len(metadata)} pairs; a store holds {METADATA_PAIRS} and the store key takes one"
        )
    for key, value in metadata.items():
        if key == STORE_KEY_METADATA:
            raise ValueError(f"metadata key {STORE_KEY_METADATA!r} is the store key's; use store_key")
        if not isinstance(key, str) or len(key) > METADATA_KEY_MAX:
            raise ValueError(
                f"metadata key {key!r} must be a string of at most {METADATA_KEY_MAX} characters"
            )
        if not isinstance(value, str) or len(value) > METADATA_VALUE_MAX:
            raise ValueError(f"metadata[{key!r}] must be a string of at most {METADATA_VALUE_MAX} characters")
    return dict(metadata)


def _integer(value: Any) -> bool:
    """An int, not a bool (which Python counts as one)."""
    return isinstance(value, int) and not isinstance(value, bool)
