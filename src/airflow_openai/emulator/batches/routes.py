"""`/v1/batches`: create over an uploaded JSONL file, retrieve, list, cancel."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.batches import batch_lifecycle
from airflow_openai.emulator.batches.batch_bodies import CreateBatchRequest
from airflow_openai.emulator.core.answers import ENDPOINTS
from airflow_openai.emulator.core.bodies import parse, require_filled, require_one_of
from airflow_openai.emulator.core.errors import bad_request, not_found
from airflow_openai.emulator.core.listing import page
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj, public
from airflow_openai.emulator.core.web import emulator

router = APIRouter()

MAX_METADATA_PAIRS = 16


async def _batch(state: EmulatorState, batch_id: str) -> Obj:
    """The batch brought up to date; running its due lines happens off the event loop."""
    obj = state.store.get("batch", batch_id)
    if obj is None:
        raise not_found("batch", batch_id)
    if obj["status"] in batch_lifecycle.TERMINAL:
        return obj
    return await run_in_threadpool(batch_lifecycle.advance, state, obj)


def _check_metadata(metadata: Any) -> dict[str, str] | None:
    if metadata is None:
        return None
    if not isinstance(metadata, dict) or len(metadata) > MAX_METADATA_PAIRS:
        raise bad_request(
            f"metadata must be an object of at most {MAX_METADATA_PAIRS} pairs", param="metadata"
        )
    for key, value in metadata.items():
        if not isinstance(value, str) or len(key) > 64 or len(value) > 512:
            raise bad_request(
                "metadata keys are strings of at most 64 characters, values of at most 512", param="metadata"
            )
    return metadata


@router.post("/batches")
async def create_batch(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    request = parse(CreateBatchRequest, body)
    require_filled(request, "input_file_id", "endpoint", "completion_window")
    require_one_of(request.endpoint, ENDPOINTS, "endpoint")
    window = request.completion_window
    require_one_of(window, batch_lifecycle.WINDOW_SECONDS, "completion_window")
    metadata = _check_metadata(request.metadata)
    source = state.store.get("file", request.input_file_id)
    if source is None:
        raise bad_request(
            f"No such file: '{request.input_file_id}'", param="input_file_id", code="invalid_value"
        )
    if source["purpose"] != "batch":
        raise bad_request(
            f"File {source['id']} has purpose '{source['purpose']}', not 'batch'", param="input_file_id"
        )
    now = state.now()
    batch = {
        "id": state.ids.new("batch_"),
        "object": "batch",
        "endpoint": request.endpoint,
        "errors": None,
        "input_file_id": source["id"],
        "completion_window": window,
        "status": "validating",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": now,
        "in_progress_at": None,
        "expires_at": now + batch_lifecycle.WINDOW_SECONDS[window],
        "finalizing_at": None,
        "completed_at": None,
        "failed_at": None,
        "expired_at": None,
        "cancelling_at": None,
        "cancelled_at": None,
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
        "metadata": metadata,
        "_done": 0,
        "_offset": 0,
    }
    return public(state.store.put("batch", batch))


@router.get("/batches")
async def list_batches(
    limit: int = 20, after: str | None = None, state: EmulatorState = Depends(emulator)
) -> Any:
    batches = [await _batch(state, obj["id"]) for obj in state.store.all("batch")]
    return page(batches, limit=limit, after=after)


@router.get("/batches/{batch_id}")
async def get_batch(batch_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    return public(await _batch(state, batch_id))


@router.post("/batches/{batch_id}/cancel")
async def cancel_batch(batch_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    batch = await _batch(state, batch_id)
    return public(await run_in_threadpool(batch_lifecycle.cancel, state, batch))
