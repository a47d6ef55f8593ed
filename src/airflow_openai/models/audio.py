"""`/audio/speech`, `/audio/transcriptions` and `/audio/translations`: the requests the builders
check, and the answers of the JSON formats (the others are plain text)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from airflow_openai.models.base import OpenAIObject, RequestBody
from airflow_openai.models.chat import Name, Number

SpeechFormat = Literal["mp3", "opus", "aac", "flac", "wav", "pcm"]
AudioResponseFormat = Literal["json", "text", "srt", "verbose_json", "vtt"]
TEXT_FORMATS = frozenset({"text", "srt", "vtt"})
"""Formats answered as plain text rather than JSON."""


class CreateSpeechRequest(RequestBody):
    """`voice` is a plain string: the service has more voices than the spec (2.3.0) lists."""

    model: Name
    input: Annotated[str, Field(max_length=4096)]
    voice: Annotated[str, Field(min_length=1)]
    response_format: SpeechFormat | None = None
    speed: Annotated[Number, Field(ge=0.25, le=4.0)] | None = None


class CreateTranscriptionRequest(RequestBody):
    """The form fields of a transcription; the audio goes as a file."""

    model: Name
    language: str | None = None
    prompt: str | None = None
    response_format: AudioResponseFormat | None = None
    temperature: Number | None = None
    timestamp_granularities: list[Literal["word", "segment"]] | None = Field(
        default=None, alias="timestamp_granularities[]"
    )

    @field_validator("timestamp_granularities")
    @classmethod
    def _verbose_only(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value and info.data.get("response_format") != "verbose_json":
            raise ValueError("timestamps come only with response_format 'verbose_json'")
        return value


class CreateTranslationRequest(RequestBody):
    """The form fields of a translation (into English); the audio goes as a file."""

    model: Name
    prompt: str | None = None
    response_format: AudioResponseFormat | None = None
    temperature: Number | None = None


class TranscriptionWord(OpenAIObject):
    word: str
    start: float
    end: float


class TranscriptionSegment(OpenAIObject):
    id: int
    seek: int = 0
    start: float
    end: float
    text: str
    tokens: list[int] = []
    temperature: float | None = None
    avg_logprob: float | None = None
    compression_ratio: float | None = None
    no_speech_prob: float | None = None


class CreateTranscriptionResponseJson(OpenAIObject):
    text: str


class CreateTranscriptionResponseVerboseJson(OpenAIObject):
    """`verbose_json`: the text with its language, duration (seconds), segments and, when asked for
    with `timestamp_granularities=["word"]`, words."""

    text: str
    language: str
    duration: float
    segments: list[TranscriptionSegment] | None = None
    words: list[TranscriptionWord] | None = None


class CreateTranslationResponseJson(OpenAIObject):
    text: str


class CreateTranslationResponseVerboseJson(OpenAIObject):
    text: str
    language: str
    duration: float
    segments: list[TranscriptionSegment] | None = None


Transcription = CreateTranscriptionResponseJson | CreateTranscriptionResponseVerboseJson | str
"""A transcription as its `response_format` gives it: `json` and `verbose_json` as models, the
text formats (`text`, `srt`, `vtt`) as a string."""
Translation = CreateTranslationResponseJson | CreateTranslationResponseVerboseJson | str
