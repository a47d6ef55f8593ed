"""The control plane's routes for fine-tuning: `POST /_emulator/state/fine_tuning/{id}` forces a job into a
state, `POST /_emulator/faults/fine_tuning` makes a job fail at a step."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.bodies import parse
from airflow_openai.emulator.core.errors import not_found
from airflow_openai.emulator.core.faults import FineTuningFailure
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.fine_tuning import fine_tuning_lifecycle
from airflow_openai.emulator.fine_tuning.fine_tuning_bodies import (
    FailFineTuningRequest,
    ForceFineTuningRequest,
)

router = APIRouter(prefix="/_emulator")


@router.post("/state/fine_tuning/{job_id}")
async def force_fine_tuning(
    job_id: str, body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
    """Move a fine-tuning job to `{"status"}` now (`queued`, `running`, `succeeded`, `failed`, `cancelled`)."""
    job = state.store.get(fine_tuning_lifecycle.KIND, job_id)
    if job is None:
        raise not_found("fine-tuning job", job_id)
    status = parse(ForceFineTuningRequest, body).status
    return fine_tuning_lifecycle.render(
        await run_in_threadpool(fine_tuning_lifecycle.force, state, job, status)
    )


@router.post("/faults/fine_tuning")
async def fail_fine_tuning(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    """Make a fine-tuning job fail at a step: `job_id`'s, or the next one created when it is null."""
    request = parse(FailFineTuningRequest, body)
    failure = FineTuningFailure(at_step=request.at_step, message=request.message, code=request.code)
    if request.job_id is None:
        state.faults.fail_next_fine_tuning(failure)
        return {"job_id": None, **failure.to_dict()}
    job = state.store.get(fine_tuning_lifecycle.KIND, request.job_id)
    if job is None:
        raise not_found("fine-tuning job", request.job_id)
    await run_in_threadpool(fine_tuning_lifecycle.plan_failure, state, job, failure.to_dict())
    return {"job_id": request.job_id, **failure.to_dict()}
