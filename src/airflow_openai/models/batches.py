"""Batches (`/batches`) and the lines of their input and output files."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import Field

from airflow_openai.models.base import OpenAIObject

BatchStatus = Literal[
    "validating", "failed", "in_progress", "finalizing", "completed", "expired", "cancelling", "cancelled"
]
BATCH_STATUSES: tuple[str, ...] = get_args(BatchStatus)
"""The statuses the spec lists; others the API may add parse as plain strings (see `assess`)."""
BATCH_TERMINAL_STATUSES: frozenset[str] = frozenset({"failed", "completed", "expired", "cancelled"})


class BatchError(OpenAIObject):
    """Why one input line was refused during validation."""

    code: str | None = None
    message: str | None = None
    param: str | None = None
    line: int | None = None


class BatchErrors(OpenAIObject):
    object: str | None = None
    data: list[BatchError] = Field(default_factory=list)


class BatchRequestCounts(OpenAIObject):
    total: int = 0
    completed: int = 0
    failed: int = 0


class Batch(OpenAIObject):
    """A batch of API requests run asynchronously at a discount within a completion window."""

    id: str
    object: Literal["batch"] = "batch"
    endpoint: str
    errors: BatchErrors | None = None
    input_file_id: str
    completion_window: str
    status: BatchStatus | str
    output_file_id: str | None = None
    error_file_id: str | None = None
    created_at: int
    in_progress_at: int | None = None
    expires_at: int | None = None
    finalizing_at: int | None = None
    completed_at: int | None = None
    failed_at: int | None = None
    expired_at: int | None = None
    cancelling_at: int | None = None
    cancelled_at: int | None = None
    request_counts: BatchRequestCounts | None = None
    metadata: dict[str, str] | None = None

    @property
    def is_terminal(self) -> bool:
        """No further change will happen to this batch (a status this code does not know may still change)."""
        return self.status in BATCH_TERMINAL_STATUSES


class BatchRequestInput(OpenAIObject):
    """One line of a batch input file."""

    custom_id: str
    method: Literal["POST"] = "POST"
    url: str
    body: dict[str, Any] = Field(default_factory=dict)


class BatchResponse(OpenAIObject):
    status_code: int
    request_id: str | None = None
    body: dict[str, Any] | None = None


class BatchLineError(OpenAIObject):
    code: str | None = None
    message: str | None = None


class BatchRequestOutput(OpenAIObject):
    """One line of a batch output or error file, matched to its input by `custom_id`."""

    id: str
    custom_id: str
    response: BatchResponse | None = None
    error: BatchLineError | None = None
