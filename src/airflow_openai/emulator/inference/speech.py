"""`/v1/audio/speech`: real audio in the format asked, where the standard library can write it.

The request is the spec's `CreateSpeechRequest`, read strictly (no unknown fields, `input`
up to 4,096 characters, one of the six voices, `speed` 0.25-4). `wav` and `pcm` are answered
with the emulator's voice (`voice`), which a transcription reads back. `mp3`, `opus`, `aac`
and `flac` (`mp3` is the default) need an encoder the standard library does not have: they
are a 400 naming the formats the emulator writes, rather than bytes that only look like audio.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from airflow_openai.emulator.core.errors import EmulatorError, bad_request
from airflow_openai.emulator.inference import voice
from airflow_openai.emulator.inference.catalog import SPEECH, in_family
from airflow_openai.emulator.inference.strict_bodies import parse

WRITTEN = {"wav": "audio/wav", "pcm": "audio/pcm"}
"""The formats the emulator writes, and the content type each is answered with."""
NOT_WRITTEN = ("mp3", "opus", "aac", "flac")
Number = Annotated[float, Field(allow_inf_nan=False)]


class CreateSpeechRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    model: Annotated[str, Field(min_length=1)]
    input: Annotated[str, Field(min_length=1, max_length=4096)]
    voice: Literal["alloy", "echo", "fable", "onyx", "nova", "shimmer"]
    response_format: Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] | None = None
    speed: Annotated[Number, Field(ge=0.25, le=4.0)] | None = None


def speech(body: Any) -> tuple[bytes, str]:
    """The audio saying the request's `input` and its content type, or the refusal raised."""
    if isinstance(body, dict) and isinstance(body.get("speed"), int) and not isinstance(body["speed"], bool):
        body = {**body, "speed": float(body["speed"])}  # JSON has one number type: 1 is a speed
    request = parse(CreateSpeechRequest, body)
    if not in_family(request.model, SPEECH):
        raise EmulatorError(
            404,
            f"The model `{request.model}` does not exist or you do not have access to it.",
            param="model",
            code="model_not_found",
        )
    kind = request.response_format or "mp3"
    if kind not in WRITTEN:
        raise bad_request(
            f"The emulator cannot write '{kind}' audio (its standard library has no {kind} encoder): ask for "
            f"response_format 'wav' or 'pcm'. It does not write {', '.join(NOT_WRITTEN)}.",
            param="response_format",
            code="unsupported_value",
        )
    pcm = voice.spoken(request.input, request.speed or 1.0)
    return (voice.as_wav(pcm) if kind == "wav" else pcm), WRITTEN[kind]
