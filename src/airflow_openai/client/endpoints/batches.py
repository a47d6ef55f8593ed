"""`/batches`."""

from __future__ import annotations

from airflow_openai.client.calls import ApiCall, ListCall, segment
from airflow_openai.models import Batch


def create_batch(
    input_file_id: str,
    endpoint: str,
    completion_window: str = "24h",
    metadata: dict[str, str] | None = None,
) -> ApiCall[Batch]:
    """Start a batch over an uploaded JSONL file of requests."""
    body = {"input_file_id": input_file_id, "endpoint": endpoint, "completion_window": completion_window}
    if metadata:
        body["metadata"] = metadata
    return ApiCall("POST", "/batches", Batch.model_validate, json=body)


def get_batch(batch_id: str) -> ApiCall[Batch]:
    return ApiCall("GET", f"/batches/{segment(batch_id)}", Batch.model_validate)


def list_batches(limit: int | None = None, after: str | None = None) -> ListCall[Batch]:
    """Batches of the project, newest first."""
    return ListCall("GET", "/batches", Batch.model_validate, params={"limit": limit, "after": after})


def cancel_batch(batch_id: str) -> ApiCall[Batch]:
    """Ask a batch to stop; it passes through `cancelling` and keeps finished lines."""
    return ApiCall("POST", f"/batches/{segment(batch_id)}/cancel", Batch.model_validate)
