"""`/audio/speech`, `/audio/transcriptions` and `/audio/translations`.

Speech is audio bytes, which the hook streams to a destination (`SyncTransport.download`);
transcriptions and translations upload the audio as a multipart form and answer in the
`response_format` asked for: `json` and `verbose_json` as models, `text`, `srt` and `vtt` as
plain text. Each body is checked as the spec's request before sending; a lost answer is not
asked for again (see `chat`).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import IO, Any

from airflow_openai.client.calls import ApiCall, MultipartFile, raw_json
from airflow_openai.client.checked import checked, checked_form
from airflow_openai.models import (
    CreateSpeechRequest,
    CreateTranscriptionRequest,
    CreateTranscriptionResponseJson,
    CreateTranscriptionResponseVerboseJson,
    CreateTranslationRequest,
    CreateTranslationResponseJson,
    CreateTranslationResponseVerboseJson,
)
from airflow_openai.models.audio import TEXT_FORMATS, Transcription, Translation


def create_speech(model: str, input: str, voice: str, **options: Any) -> ApiCall[Any]:
    """`input` read aloud; `options` are response_format (mp3 by default, opus, aac, flac, wav,
    pcm) and speed. The bytes are streamed to a destination by the transport."""
    fields = {"model": model, "input": input, "voice": voice, **options}
    body = checked(CreateSpeechRequest, "POST /audio/speech", fields)
    return ApiCall("POST", "/audio/speech", raw_json, json=body)


def create_transcription(
    file: IO[bytes],
    filename: str,
    model: str,
    *,
    response_format: str | None = None,
    timestamp_granularities: list[str] | None = None,
    **options: Any,
) -> ApiCall[Transcription]:
    """The text of the audio in `file` (its format told by `filename`'s extension); `options` are
    language, prompt and temperature. `timestamp_granularities` (`word`, `segment`) needs
    `verbose_json`."""
    fields = {
        "model": model,
        "response_format": response_format,
        "timestamp_granularities[]": timestamp_granularities,
        **options,
    }
    form = checked_form(CreateTranscriptionRequest, "POST /audio/transcriptions", fields)
    parse: Callable[[Any], Transcription] = str
    if response_format in (None, "json"):
        parse = CreateTranscriptionResponseJson.model_validate
    elif response_format == "verbose_json":
        parse = CreateTranscriptionResponseVerboseJson.model_validate
    return _upload("/audio/transcriptions", parse, form, file, filename, response_format)


def create_translation(
    file: IO[bytes], filename: str, model: str, *, response_format: str | None = None, **options: Any
) -> ApiCall[Translation]:
    """The audio in `file` as English text; `options` are prompt and temperature."""
    fields = {"model": model, "response_format": response_format, **options}
    form = checked_form(CreateTranslationRequest, "POST /audio/translations", fields)
    parse: Callable[[Any], Translation] = str
    if response_format in (None, "json"):
        parse = CreateTranslationResponseJson.model_validate
    elif response_format == "verbose_json":
        parse = CreateTranslationResponseVerboseJson.model_validate
    return _upload("/audio/translations", parse, form, file, filename, response_format)


def _upload(
    path: str,
    parse: Callable[[Any], Any],
    form: dict[str, str | list[str]],
    file: IO[bytes],
    filename: str,
    response_format: str | None,
) -> ApiCall[Any]:
    kind = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    part = MultipartFile.of(filename, file, kind)
    text = response_format in TEXT_FORMATS
    return ApiCall("POST", path, parse, form=form, files={"file": part}, text=text)
