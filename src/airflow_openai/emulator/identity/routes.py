"""`POST /oauth/token` at the emulator's root (the service's path on `auth.openai.com`), outside `/v1`: it
needs no key. See `token_exchange` for what it reads and answers."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.identity.token_exchange import OAuthRefusal, exchange

router = APIRouter()

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post("/oauth/token")
async def token(request: Request, state: EmulatorState = Depends(emulator)) -> Any:
    """The workload identity token exchange (`https://auth.openai.com/oauth/token` on the service): a
    subject token for an access token."""
    try:
        fields = _fields(request.headers.get("content-type", ""), await request.body())
        answer = await run_in_threadpool(exchange, state, fields)
    except OAuthRefusal as refusal:
        return JSONResponse(refusal.body(), status_code=refusal.status, headers=NO_STORE)
    return JSONResponse(answer, headers=NO_STORE)


def _fields(content_type: str, raw: bytes) -> Any:
    """The request's fields: form-encoded (RFC 6749's encoding) or, as the SDK sends them, JSON."""
    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        return dict(parse_qsl(raw.decode("utf-8", "replace")))
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise OAuthRefusal("invalid_request", "The request body is not valid JSON.") from exc
