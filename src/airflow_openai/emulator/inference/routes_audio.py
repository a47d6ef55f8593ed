"""`/v1/audio/speech`, `/v1/audio/transcriptions` and `/v1/audio/translations` (see `speech` and `transcription`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.inference import forms, speech, transcription
from airflow_openai.emulator.inference.admission import admitted
from airflow_openai.emulator.inference.responder import heard_text

router = APIRouter()


@router.post("/audio/speech")
async def speak(request: Request, body: Any = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    headers = await admitted(state, request, body)
    audio, media_type = await run_in_threadpool(speech.speech, body)
    return Response(audio, media_type=media_type, headers=headers)


@router.post("/audio/transcriptions")
@router.post("/audio/translations")
async def transcribe(request: Request, state: EmulatorState = Depends(emulator)) -> Any:
    headers = await admitted(state, request)
    url = request.url.path
    fields, files = await forms.read(request, ("file",))
    upload = forms.required(files, "file")
    asked, duration, heard = await run_in_threadpool(transcription.checked, url, fields, upload)
    question = transcription.asked(asked, upload, duration, heard)
    status, said = await run_in_threadpool(state.respond, url, question)
    if status != 200:
        return JSONResponse(said, status_code=status, headers=headers)
    text = said.get("text") if isinstance(said, dict) else None
    if not isinstance(text, str):  # a responder that does not transcribe: the built-in model hears it
        text = heard_text(url, question)
    body, media_type = transcription.written(url, asked, text, duration)
    if isinstance(body, dict):
        return JSONResponse(body, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
