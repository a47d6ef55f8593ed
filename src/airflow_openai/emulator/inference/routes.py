"""`/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`: answered at once by the responder.

The same model that runs batch lines, so a DAG can mix direct calls and batches, and
one emulator can serve as the `--upstream` of another.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse

from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.web import emulator

router = APIRouter()


@router.post("/chat/completions")
@router.post("/completions")
@router.post("/embeddings")
def infer(request: Request, body: Any = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    status, answer = state.respond(request.url.path, body)
    return JSONResponse(answer, status_code=status)
