"""Vector stores, their files and file batches (`/vector_stores`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from airflow_openai.models.base import OpenAIObject

VectorStoreStatus = Literal["expired", "in_progress", "completed"]
VectorStoreFileStatus = Literal["in_progress", "completed", "cancelled", "failed"]
VectorStoreFileBatchStatus = Literal["in_progress", "cancelling", "completed", "cancelled", "failed"]
"""The spec's enum lacks `cancelling`, which its own cancel example (and the live API) returns."""
VECTOR_STORE_FILE_TERMINAL_STATUSES: frozenset[str] = frozenset({"completed", "cancelled", "failed"})


class VectorStoreFileCounts(OpenAIObject):
    in_progress: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    total: int = 0


class VectorStoreObject(OpenAIObject):
    """A vector store: a searchable index of files for the `file_search` tool."""

    id: str
    object: Literal["vector_store"] = "vector_store"
    created_at: int
    name: str | None = None
    usage_bytes: int = 0
    file_counts: VectorStoreFileCounts = Field(default_factory=VectorStoreFileCounts)
    status: VectorStoreStatus | str | None = None
    """Required by the spec, yet absent from several of its examples: None means not reported."""
    expires_after: dict[str, Any] | None = None
    expires_at: int | None = None
    last_active_at: int | None = None
    metadata: dict[str, Any] | None = None


class VectorStoreFileError(OpenAIObject):
    code: str | None = None
    message: str | None = None


class VectorStoreFileObject(OpenAIObject):
    """A file attached to a vector store, with its indexing status."""

    id: str
    object: Literal["vector_store.file"] = "vector_store.file"
    usage_bytes: int = 0
    created_at: int
    vector_store_id: str
    status: VectorStoreFileStatus | str | None = None
    last_error: VectorStoreFileError | None = None
    chunking_strategy: dict[str, Any] | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in VECTOR_STORE_FILE_TERMINAL_STATUSES


class VectorStoreFileBatchObject(OpenAIObject):
    """Several files added to a vector store in one request."""

    id: str
    object: Literal["vector_store.files_batch", "vector_store.file_batch"] = "vector_store.files_batch"
    created_at: int
    vector_store_id: str
    status: VectorStoreFileBatchStatus | str
    file_counts: VectorStoreFileCounts = Field(default_factory=VectorStoreFileCounts)

    @property
    def is_terminal(self) -> bool:
        return self.status in VECTOR_STORE_FILE_TERMINAL_STATUSES
