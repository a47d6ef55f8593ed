"""`/v1/models`: the emulator's built-in models (`catalog`), plus any stored ones (fine-tuned models).
A dated snapshot of a built-in model is found by `GET /v1/models/{snapshot}`, as chat accepts it.

Fine-tuning jobs are brought up to date first (through `state.seams.catch_up`, see `core.seams`),
so the models (and checkpoint models) that jobs have made by now are listed even if no one
has looked at those jobs since.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.errors import EmulatorError, not_found
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import public
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.inference.catalog import CREATED, created

router = APIRouter()


def _built_in(name: str, made: int) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": made, "owned_by": "system"}


async def _all_models(state: EmulatorState) -> list[dict[str, Any]]:
    await run_in_threadpool(state.seams.catch_up, state, "model")
    built_in = [_built_in(name, created) for name, created in CREATED.items()]
    return built_in + [public(obj) for obj in state.store.all("model", newest_first=False)]


@router.get("/models")
async def list_models(state: EmulatorState = Depends(emulator)) -> Any:
    return {"object": "list", "data": await _all_models(state)}


@router.get("/models/{model:path}")
async def get_model(model: str, state: EmulatorState = Depends(emulator)) -> Any:
    for obj in await _all_models(state):
        if obj["id"] == model:
            return obj
    made = created(model)
    if made is not None:  # a dated snapshot: the service answers it, as chat accepts it
        return _built_in(model, made)
    raise EmulatorError(404, f"The model '{model}' does not exist", param="model", code="model_not_found")


@router.delete("/models/{model:path}")
async def delete_model(model: str, state: EmulatorState = Depends(emulator)) -> Any:
    await run_in_threadpool(state.seams.catch_up, state, "model")
    if not state.store.delete("model", model):
        if created(model) is not None:
            raise EmulatorError(
                403, "You may only delete fine-tuned models you own", type="invalid_request_error"
            )
        raise not_found("model", model)
    return {"id": model, "object": "model", "deleted": True}
