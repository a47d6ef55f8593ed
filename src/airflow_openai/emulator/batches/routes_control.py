"""The control plane's route for batches: `POST /_emulator/state/batch/{id}` forces a batch into a state."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.batches import batch_lifecycle
from airflow_openai.emulator.batches.batch_bodies import ForceBatchRequest
from airflow_openai.emulator.core.bodies import parse
from airflow_openai.emulator.core.errors import not_found
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import public
from airflow_openai.emulator.core.web import emulator

router = APIRouter(prefix="/_emulator")


@router.post("/state/batch/{batch_id}")
async def force_batch(
    batch_id: str, body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
    """Move a batch to `{"status"}` now (`in_progress`, `finalizing`, `completed`, `failed`, `expired`,
    `cancelled`...)."""
    batch = state.store.get("batch", batch_id)
    if batch is None:
        raise not_found("batch", batch_id)
    status = parse(ForceBatchRequest, body).status
    return public(await run_in_threadpool(batch_lifecycle.force, state, batch, status))
