"""`/v1/audio/transcriptions` and `/v1/audio/translations`: what the audio says, in the five formats.

The request is the spec's (`CreateTranscriptionRequest`, `CreateTranslationRequest`), read
strictly from its multipart form, and refused as the service refuses it: a file whose
extension is not one the service decodes, over 25 MB, or under 0.1 s; an unknown model;
`timestamp_granularities[]` without `verbose_json`. What the audio says is the responder's
to choose: the route asks `state.respond(url, {"model", "filename", "bytes", "duration",
"heard", "language", "prompt", "temperature"})`, where `heard` is what the emulator's own voice
says in the file (`voice.heard`; None for other audio), and the built-in responder answers
`{"text": heard}` (or a sentence naming the file). The text is then written as `json`, `text`,
`srt`, `vtt` or `verbose_json` (with `segments`, and `words` when asked), its times spread
over the audio's duration.
"""

from __future__ import annotations

import random
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from airflow_openai.emulator.core.errors import EmulatorError, bad_request
from airflow_openai.emulator.inference import voice
from airflow_openai.emulator.inference.catalog import TRANSCRIPTION, in_family
from airflow_openai.emulator.inference.forms import Upload
from airflow_openai.emulator.inference.strict_bodies import parse
from airflow_openai.emulator.inference.units import seed_of

FORMATS = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")
MAX_BYTES = 25 * 1024 * 1024
SHORTEST = 0.1
BYTES_PER_SECOND = 16_000
"""The duration guessed for compressed audio the emulator cannot read: 128 kbit/s."""
LANGUAGES = {
    "en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian", "pt": "portuguese",
    "nl": "dutch", "ja": "japanese", "zh": "chinese", "ru": "russian", "ko": "korean", "pl": "polish",
}  # fmt: skip
TEXT = "text/plain; charset=utf-8"
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


class CreateTranslationRequest(BaseModel):
    """Multipart fields are text: `temperature` is read from it (`"0.2"` is 0.2, `"warm"` is refused)."""

    model_config = ConfigDict(strict=False, extra="forbid")

    model: Annotated[str, Field(min_length=1)]
    prompt: str | None = None
    response_format: Literal["json", "text", "srt", "verbose_json", "vtt"] | None = None
    temperature: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = None


class CreateTranscriptionRequest(CreateTranslationRequest):
    language: str | None = None
    timestamp_granularities: list[Literal["word", "segment"]] | None = Field(
        default=None, alias="timestamp_granularities[]"
    )


def checked(
    url: str, fields: dict[str, Any], upload: Upload
) -> tuple[CreateTranslationRequest, float, str | None]:
    """The request, the audio's duration in seconds and what the emulator's voice says in it (None when
    it is other audio), or the service's refusal raised."""
    translating = url.endswith("translations")
    request = parse(CreateTranslationRequest if translating else CreateTranscriptionRequest, fields)
    if not in_family(request.model, TRANSCRIPTION):
        raise EmulatorError(
            404, f"The model `{request.model}` does not exist or you do not have access to it.",
            param="model", code="model_not_found",
        )  # fmt: skip
    granularities = getattr(request, "timestamp_granularities", None)
    if granularities and request.response_format != "verbose_json":
        raise bad_request(
            "timestamp_granularities[] is only supported with response_format 'verbose_json'.",
            "timestamp_granularities[]", "invalid_value",
        )  # fmt: skip
    extension = upload.filename.rpartition(".")[2].lower() if "." in upload.filename else ""
    if extension not in FORMATS:
        raise bad_request(f"Invalid file format. Supported formats: {list(FORMATS)}", "file", "invalid_value")
    if len(upload.data) > MAX_BYTES:
        message = f"Maximum content size limit ({MAX_BYTES}) exceeded ({len(upload.data)} bytes read)"
        raise EmulatorError(413, message, param="file")
    pcm, duration = voice.samples_of(upload.data) if extension == "wav" else (None, None)
    if duration is None:
        duration = len(upload.data) / BYTES_PER_SECOND
    if duration < SHORTEST:
        raise bad_request(
            f"Audio file is too short. Minimum audio length is {SHORTEST} seconds.", "file", "audio_too_short"
        )
    return request, duration, voice.heard(pcm) if pcm else None


def asked(
    request: CreateTranslationRequest, upload: Upload, duration: float, heard: str | None
) -> dict[str, Any]:
    """What the route asks the responder (see the module's docstring)."""
    return {
        "model": request.model,
        "filename": upload.filename,
        "bytes": len(upload.data),
        "duration": duration,
        "heard": heard,
        "language": getattr(request, "language", None),
        "prompt": request.prompt,
        "temperature": request.temperature,
    }


def written(url: str, request: CreateTranslationRequest, text: str, duration: float) -> tuple[Any, str]:
    """The answer's body (a dict for the JSON formats, else text) and its content type."""
    kind = request.response_format or "json"
    if kind == "json":
        return {"text": text}, "application/json"
    if kind == "text":
        return text + "\n", TEXT
    segments = _segments(text, duration, request.temperature or 0.0)
    if kind == "srt":
        cues = [
            f"{n + 1}\n{_clock(s['start'], ',')} --> {_clock(s['end'], ',')}\n{s['text'].strip()}\n"
            for n, s in enumerate(segments)
        ]
        return "\n".join(cues) + "\n", TEXT
    if kind == "vtt":
        cues = [
            f"{_clock(s['start'], '.')} --> {_clock(s['end'], '.')}\n{s['text'].strip()}\n" for s in segments
        ]
        return "WEBVTT\n\n" + "\n".join(cues) + "\n", TEXT
    translating = url.endswith("translations")
    language = (
        "english"
        if translating
        else LANGUAGES.get((getattr(request, "language", None) or "en").lower(), "english")
    )
    verbose: dict[str, Any] = {
        "task": "translate" if translating else "transcribe",
        "language": language,
        "duration": round(duration, 6),
        "text": text,
    }
    granularities = getattr(request, "timestamp_granularities", None) or ["segment"]
    if "segment" in granularities:
        verbose["segments"] = segments
    if "word" in granularities:
        verbose["words"] = _words(text, duration)
    return verbose, "application/json"


def _spans(parts: list[str], text: str, duration: float) -> list[tuple[float, float]]:
    """Each part's start and end, spread over `duration` by where it stands in `text`."""
    spans, position = [], 0
    total = max(1, len(text))
    for part in parts:
        start = text.find(part, position)
        position = start + len(part)
        spans.append((round(duration * start / total, 3), round(duration * position / total, 3)))
    return spans


def _segments(text: str, duration: float, temperature: float) -> list[dict[str, Any]]:
    sentences = [s for s in _SENTENCE.split(text.strip()) if s] or [text]
    rng = random.Random(seed_of("segments", text))
    segments = []
    for number, (sentence, (start, end)) in enumerate(
        zip(sentences, _spans(sentences, text, duration), strict=True)
    ):
        segments.append(
            {
                "id": number,
                "seek": 0,
                "start": start,
                "end": end,
                "text": " " + sentence,
                "tokens": [50364 + seed_of(word) % 1000 for word in sentence.split()],
                "temperature": temperature,
                "avg_logprob": -round(rng.uniform(0.1, 0.4), 6),
                "compression_ratio": round(rng.uniform(1.0, 1.6), 6),
                "no_speech_prob": round(rng.uniform(0.0, 0.02), 6),
            }
        )
    return segments


def _words(text: str, duration: float) -> list[dict[str, Any]]:
    words = text.split()
    return [
        {"word": word, "start": start, "end": end}
        for word, (start, end) in zip(words, _spans(words, text, duration), strict=True)
    ]


def _clock(seconds: float, mark: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{mark}{millis:03d}"
