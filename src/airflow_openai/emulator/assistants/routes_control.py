"""The control plane's route for the Assistants API: `POST /_emulator/faults/runs` makes a run fail."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.assistants import run_lifecycle
from airflow_openai.emulator.assistants.assistant_bodies import parse as parse_assistants_body
from airflow_openai.emulator.assistants.thread_bodies import FailRunRequest
from airflow_openai.emulator.assistants.thread_messages import RUN
from airflow_openai.emulator.core.errors import not_found
from airflow_openai.emulator.core.faults import RunFailure
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.web import emulator

router = APIRouter(prefix="/_emulator")


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
