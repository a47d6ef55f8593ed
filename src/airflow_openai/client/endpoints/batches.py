"""`/batches`."""

from __future__ import annotations

from typing import Any

from airflow_openai.client.calls import ApiCall, ListCall, Reconcile, segment
from airflow_openai.models import Batch


def create_batch(
    input_file_id: str,
    endpoint: str,
    completion_window: str = "24h",
    metadata: dict[str, str] | None = None,
) -> ApiCall[Batch]:
    """Start a batch over an uploaded JSONL file of requests.

    If the answer is lost, the batch is looked for (same input file, endpoint, window and
    metadata, created since) before another is started: a batch is never paid for twice.
    """
    body: dict[str, Any] = {
        "input_file_id": input_file_id,
        "endpoint": endpoint,
        "completion_window": completion_window,
    }
    if metadata:
        body["metadata"] = metadata

    def same(batch: Batch) -> bool:
        return (
            batch.input_file_id == input_file_id
            and batch.endpoint == endpoint
            and batch.completion_window == completion_window
            and (batch.metadata or {}) == dict(metadata or {})
        )

    reconcile: Reconcile[Batch] = Reconcile(
        list_batches(limit=100), same, what=f"a batch over {input_file_id}"
    )
    return ApiCall("POST", "/batches", Batch.model_validate, json=body, reconcile=reconcile)


def get_batch(batch_id: str) -> ApiCall[Batch]:
    return ApiCall("GET", f"/batches/{segment(batch_id)}", Batch.model_validate)


def list_batches(limit: int | None = None, after: str | None = None) -> ListCall[Batch]:
    """Batches of the project, newest first."""
    return ListCall("GET", "/batches", Batch.model_validate, params={"limit": limit, "after": after})


def cancel_batch(batch_id: str) -> ApiCall[Batch]:
    """Ask a batch to stop; it passes through `cancelling` and keeps finished lines (asking twice is harmless)."""
    return ApiCall("POST", f"/batches/{segment(batch_id)}/cancel", Batch.model_validate, repeatable=True)
