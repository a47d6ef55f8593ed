"""`/v1/models`: the emulator's built-in models, plus any stored ones (fine-tuned models).

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

router = APIRouter()

BUILT_IN = [
    ("gpt-4o-mini", 1721172741),
    ("gpt-4o", 1715367049),
    ("gpt-4.1-mini", 1744318173),
    ("gpt-3.5-turbo", 1677610602),
    ("gpt-3.5-turbo-instruct", 1692901427),
    ("babbage-002", 1692634615),
    ("davinci-002", 1692634301),
    ("text-embedding-3-small", 1705948997),
    ("text-embedding-3-large", 1705953180),
    ("text-embedding-ada-002", 1671217299),
]


async def _all_models(state: EmulatorState) -> list[dict[str, Any]]:
    await run_in_threadpool(state.seams.catch_up, state, "model")
    built_in = [
        {"id": name, "object": "model", "created": created, "owned_by": "system"}
        for name, created in BUILT_IN
    ]
    return built_in + [public(obj) for obj in state.store.all("model", newest_first=False)]


@router.get("/models")
async def list_models(state: EmulatorState = Depends(emulator)) -> Any:
    return {"object": "list", "data": await _all_models(state)}


@router.get("/models/{model:path}")
async def get_model(model: str, state: EmulatorState = Depends(emulator)) -> Any:
    for obj in await _all_models(state):
        if obj["id"] == model:
            return obj
    raise EmulatorError(404, f"The model '{model}' does not exist", param="model", code="model_not_found")


@router.delete("/models/{model:path}")
async def delete_model(model: str, state: EmulatorState = Depends(emulator)) -> Any:
    await run_in_threadpool(state.seams.catch_up, state, "model")
    if not state.store.delete("model", model):
        if any(name == model for name, _ in BUILT_IN):
            raise EmulatorError(
                403, "You may only delete fine-tuned models you own", type="invalid_request_error"
            )
        raise not_found("model", model)
    return {"id": model, "object": "model", "deleted": True}
