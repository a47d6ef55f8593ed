"""`/v1/fine_tuning/jobs`: create over uploaded `fine-tune` files, retrieve, list, cancel, events, checkpoints.

What the service refuses at once (an unknown or unfinetunable model, a missing file or one
of another purpose, hyperparameters out of range, an unknown field) is a 400 here; what it
finds only when it reads the files fails the job later (see `fine_tuning_lifecycle`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.bodies import parse
from airflow_openai.emulator.core.errors import bad_request, not_found
from airflow_openai.emulator.core.listing import page
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.core.strict import check_metadata
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.fine_tuning import fine_tuning_lifecycle as lifecycle
from airflow_openai.emulator.fine_tuning import fine_tuning_plan as plan
from airflow_openai.emulator.fine_tuning.fine_tuning_bodies import CreateFineTuningJobRequest

router = APIRouter()


async def current_job(state: EmulatorState, job_id: str) -> Obj:
    """The job brought up to date (reading files and writing results happen off the event loop)."""
    obj = state.store.get(lifecycle.KIND, job_id)
    if obj is None:
        raise not_found("fine-tuning job", job_id)
    if obj["status"] in lifecycle.TERMINAL:
        return obj
    return await run_in_threadpool(lifecycle.advance, state, obj)


def _check_file(state: EmulatorState, file_id: str, param: str) -> None:
    source = state.store.get("file", file_id)
    if source is None:
        raise bad_request(f"Invalid {param}: no such file: '{file_id}'.", param=param, code="invalid_value")
    if source["purpose"] != "fine-tune":
        raise bad_request(
            f"Invalid {param}: file {file_id} has purpose '{source['purpose']}', not 'fine-tune'.",
            param=param,
            code="invalid_value",
        )


def _requested_hyperparameters(request: CreateFineTuningJobRequest) -> dict[str, Any]:
    method = request.method
    if method is not None and method.type != "supervised":
        raise bad_request(
            f"The emulator runs supervised fine-tuning only, not '{method.type}'.",
            param="method.type",
            code="invalid_value",
        )
    if method is not None and method.supervised is not None and method.supervised.hyperparameters is not None:
        given = method.supervised.hyperparameters.model_dump()
        return plan.check_hyperparameters(given, "method.supervised.hyperparameters")
    given = request.hyperparameters.model_dump() if request.hyperparameters else {}
    return plan.check_hyperparameters(given)


@router.post("/fine_tuning/jobs")
async def create_job(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    request = parse(CreateFineTuningJobRequest, body)
    base = plan.base_model(request.model)
    _check_file(state, request.training_file, "training_file")
    if request.validation_file is not None:
        _check_file(state, request.validation_file, "validation_file")
    plan.check_suffix(request.suffix)
    plan.check_seed(request.seed)
    check_metadata(request.metadata, "metadata")
    job = lifecycle.create(
        state,
        base=base,
        training_file=request.training_file,
        validation_file=request.validation_file,
        hyperparameters=_requested_hyperparameters(request),
        suffix=request.suffix,
        seed=request.seed,
        integrations=[item.model_dump() for item in request.integrations or []],
        metadata=request.metadata,
    )
    return lifecycle.render(job)


@router.get("/fine_tuning/jobs")
async def list_jobs(
    limit: int = 20, after: str | None = None, state: EmulatorState = Depends(emulator)
) -> Any:
    jobs = [await current_job(state, obj["id"]) for obj in state.store.all(lifecycle.KIND)]
    listed = page(jobs, limit=limit, after=after, render=lifecycle.render)
    return {key: listed[key] for key in ("object", "data", "has_more")}


@router.get("/fine_tuning/jobs/{job_id}")
async def get_job(job_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    return lifecycle.render(await current_job(state, job_id))


@router.post("/fine_tuning/jobs/{job_id}/cancel")
async def cancel_job(job_id: str, state: EmulatorState = Depends(emulator)) -> Any:
    job = await current_job(state, job_id)
    return lifecycle.render(await run_in_threadpool(lifecycle.cancel, state, job))


@router.get("/fine_tuning/jobs/{job_id}/events")
async def list_events(
    job_id: str, limit: int = 20, after: str | None = None, state: EmulatorState = Depends(emulator)
) -> Any:
    """Newest first; `after` is the last event of the previous page, so the next page is older."""
    job = await current_job(state, job_id)
    listed = page(lifecycle.events(job), limit=limit, after=after)
    return {key: listed[key] for key in ("object", "data", "has_more")}


@router.get("/fine_tuning/jobs/{job_id}/checkpoints")
async def list_checkpoints(
    job_id: str, limit: int = 10, after: str | None = None, state: EmulatorState = Depends(emulator)
) -> Any:
    job = await current_job(state, job_id)
    return page(lifecycle.checkpoints(job), limit=limit, after=after)
