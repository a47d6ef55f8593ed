"""`/v1/chat/completions`, `/v1/completions`, `/v1/embeddings` and `/v1/moderations`: answered at once.

Chat, completions and embeddings are answered by the responder, the same model that runs
batch lines, so a DAG can mix direct calls and batches, and one emulator can serve as the
`--upstream` of another. Each call is first admitted under its key's rate limits (and waits
the added latency, see `admission`); its answer gets fresh ids (`stamping`), and is streamed
as server-sent events when it asks to be (`streaming`). Moderations are the built-in
classifier's (`moderations`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.inference import moderations, streaming
from airflow_openai.emulator.inference.admission import admitted
from airflow_openai.emulator.inference.stamping import stamped

router = APIRouter()


@router.post("/chat/completions")
@router.post("/completions")
@router.post("/embeddings")
async def infer(request: Request, body: Any = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    headers = await admitted(state, request, body)
    url = request.url.path
    status, answer = await run_in_threadpool(state.respond, url, body)
    if status != 200 or not isinstance(answer, dict):
        return JSONResponse(answer, status_code=status, headers=headers)
    stamped(state, answer)
    if streaming.streams(body) and url != "/v1/embeddings" and "choices" in answer:
        return StreamingResponse(
            streaming.events(url, answer, body), media_type="text/event-stream", headers=headers
        )
    return JSONResponse(answer, status_code=status, headers=headers)


@router.post("/moderations")
async def moderate(request: Request, body: Any = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    headers = await admitted(state, request, body)
    answer = await run_in_threadpool(moderations.moderation, body, state.ids.new("modr-", 29))
    return JSONResponse(answer, headers=headers)
