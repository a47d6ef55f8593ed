"""`/v1/images/generations`, `/v1/images/edits` and `/v1/images/variations` (see `images`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.inference import forms, images
from airflow_openai.emulator.inference.admission import admitted

router = APIRouter()


async def _answer(
    state: EmulatorState, request: Request, asked: Any, prompt: str, source: bytes, headers: dict[str, str]
) -> JSONResponse:
    names = [state.ids.new("img-", 24) + ".png" for _ in range(asked.n or 1)]
    made = await run_in_threadpool(images.drawn, asked, prompt, source, names)
    data = []
    files = state.in_memory(images.ImageFiles)
    for name, image, entry in made:
        if asked.response_format != "b64_json":
            files.keep(name, image)
            entry = {"url": f"{str(request.base_url).rstrip('/')}/_emulator/images/{name}", **entry}
        data.append(entry)
    return JSONResponse({"created": state.now(), "data": data}, headers=headers)


@router.post("/images/generations")
async def generate(request: Request, body: Any = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    headers = await admitted(state, request, body)
    asked, _model = images.generation(body)
    return await _answer(state, request, asked, asked.prompt, b"", headers)


@router.post("/images/edits")
async def edit(request: Request, state: EmulatorState = Depends(emulator)) -> Any:
    headers = await admitted(state, request)
    fields, files = await forms.read(request, ("image", "mask"))
    image = forms.required(files, "image").data
    mask = files["mask"].data if "mask" in files else None
    asked = images.edit(fields, image, mask)
    return await _answer(state, request, asked, asked.prompt, image + (mask or b""), headers)


@router.post("/images/variations")
async def vary(request: Request, state: EmulatorState = Depends(emulator)) -> Any:
    headers = await admitted(state, request)
    fields, files = await forms.read(request, ("image",))
    image = forms.required(files, "image").data
    asked = images.variation(fields, image)
    return await _answer(state, request, asked, "", image, headers)
