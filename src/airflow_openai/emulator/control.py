"""The control plane under `/_emulator/`: reset, seed, clock, forced states, injected faults (fine-tuning,
vector store file and run failures among them), request counts.

It sits outside `/v1`, needs no key, and is what tests and demos use to make time pass
or the API misbehave on purpose.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator import batch_lifecycle, fine_tuning_lifecycle, run_lifecycle
from airflow_openai.emulator.assistant_bodies import parse as parse_assistants_body
from airflow_openai.emulator.bodies import (
    ClockRequest,
    FailFineTuningRequest,
    FaultRequest,
    ForceBatchRequest,
    ForceFineTuningRequest,
    LinkRequest,
    RateLimitRequest,
    SeedRequest,
    parse,
)
from airflow_openai.emulator.errors import bad_request, not_found
from airflow_openai.emulator.faults import Fault, FineTuningFailure, RunFailure, VectorStoreFileFailure
from airflow_openai.emulator.state import EmulatorState
from airflow_openai.emulator.store import public
from airflow_openai.emulator.thread_bodies import FailRunRequest
from airflow_openai.emulator.thread_messages import RUN
from airflow_openai.emulator.vector_store_bodies import FailVectorStoreFileRequest
from airflow_openai.emulator.vector_store_bodies import parse as parse_vector_store_body
from airflow_openai.emulator.web import emulator

router = APIRouter(prefix="/_emulator")


@router.post("/reset")
async def reset(state: EmulatorState = Depends(emulator)) -> Any:
    state.reset()
    return {"reset": True}


@router.post("/seed")
async def seed(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    seed = parse(SeedRequest, body).seed
    state.ids.seed(seed)
    return {"seed": seed}


@router.get("/clock")
async def clock(state: EmulatorState = Depends(emulator)) -> Any:
    return {"now": state.clock.now(), "speed": state.clock.speed, "seconds_per_line": state.seconds_per_line}


@router.post("/clock")
async def set_clock(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    change = parse(ClockRequest, body)
    if change.speed is not None:
        state.clock.set_speed(change.speed)
    if change.seconds_per_line is not None:
        state.seconds_per_line = change.seconds_per_line
    if change.advance is not None:
        state.clock.advance(change.advance)
    return {"now": state.now(), "speed": state.clock.speed, "seconds_per_line": state.seconds_per_line}


@router.post("/state/batch/{batch_id}")
async def force_batch(
    batch_id: str, body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
    batch = state.store.get("batch", batch_id)
    if batch is None:
        raise not_found("batch", batch_id)
    status = parse(ForceBatchRequest, body).status
    return public(await run_in_threadpool(batch_lifecycle.force, state, batch, status))


@router.post("/state/fine_tuning/{job_id}")
async def force_fine_tuning(
    job_id: str, body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
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


@router.post("/faults/vector_store_files")
async def fail_vector_store_file(
    body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
    """Make the next attachment of a matching file (by id, uploaded filename, both, or any without either)
    end `failed` with `last_error: {code, message}`. A `file_id` naming no file is a 404."""
    request = parse_vector_store_body(FailVectorStoreFileRequest, body)
    if request.file_id is not None and state.store.get("file", request.file_id) is None:
        raise not_found("file", request.file_id)
    failure = VectorStoreFileFailure(**request.model_dump())
    state.faults.fail_vector_store_file(failure)
    return failure.to_dict()


@router.post("/faults/runs")
async def fail_run(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    """Make an Assistants API run fail with `last_error: {code, message}` when its current (or next) turn
    ends: `run_id`'s (a 404 if there is none, a 400 if it has ended), or the next one created when it is null."""
    request = parse_assistants_body(FailRunRequest, body)
    failure = RunFailure(
        code=request.code, message=request.message or run_lifecycle.FAILURE_MESSAGES[request.code]
    )
    if request.run_id is None:
        state.faults.fail_next_run(failure)
        return {"run_id": None, **failure.to_dict()}
    run = state.store.get(RUN, request.run_id)
    if run is None:
        raise not_found("run", request.run_id)
    await run_in_threadpool(run_lifecycle.plan_failure, state, run, failure.to_dict())
    return {"run_id": request.run_id, **failure.to_dict()}


@router.post("/faults")
async def add_fault(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    checked = parse(FaultRequest, body)
    try:
        fault = Fault(**checked.model_dump())
    except TypeError as exc:
        raise bad_request(f"invalid fault: {exc}") from exc
    state.faults.add(fault)
    return {"faults": state.faults.listing()}


@router.get("/faults")
async def list_faults(state: EmulatorState = Depends(emulator)) -> Any:
    return {
        "faults": state.faults.listing(),
        "requests_per_minute": state.faults.requests_per_minute,
        "fine_tuning_failures": state.faults.fine_tuning_listing(),
        "vector_store_file_failures": state.faults.vector_store_file_listing(),
        "run_failures": state.faults.run_listing(),
    }


@router.delete("/faults")
async def clear_faults(state: EmulatorState = Depends(emulator)) -> Any:
    state.faults.clear()
    return {"faults": []}


@router.post("/rate_limit")
async def rate_limit(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    rpm = parse(RateLimitRequest, body).requests_per_minute
    state.faults.requests_per_minute = int(rpm) if rpm else None
    return {"requests_per_minute": state.faults.requests_per_minute}


@router.get("/requests")
async def requests(state: EmulatorState = Depends(emulator)) -> Any:
    """API requests received since the last reset, per method and path."""
    return {"requests": state.requests.listing()}


@router.post("/link")
async def link(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    """Cap each request body at this many MB/s, as one connection over a long-distance link; null lifts it."""
    rate = parse(LinkRequest, body).megabytes_per_second
    state.faults.link_bytes_per_second = float(rate) * 1e6 if rate else None
    return {"megabytes_per_second": rate or None}
