"""Inference with files against the emulator: image edits and variations, transcriptions and
translations uploaded from a path, an object storage URI or a file object; speech streamed to
the same kinds of destination."""

from __future__ import annotations

import io

import pytest

from airflow_openai.client import AnswerLostError, InvalidRequestError
from airflow_openai.models import (
    CreateTranscriptionResponseJson,
    CreateTranscriptionResponseVerboseJson,
    CreateTranslationResponseJson,
    CreateTranslationResponseVerboseJson,
    ImagesResponse,
)
from tests.support.clients import hook_for
from tests.support.media import png, wav
from tests.support.object_storage import WritableBucket, attach_buckets

SPEECH = "/v1/audio/speech"


@pytest.fixture
def hook(emu):
    with hook_for(emu.base_url, api_key=emu.api_key, admin_api_key=emu.admin_key) as hook:
        yield hook


@pytest.fixture
def bucket():
    attach_buckets()
    yield "tmem://media"
    WritableBucket.store.clear()


# -- images --------------------------------------------------------------------------------------------------


def test_an_image_edit_uploads_the_image_and_its_mask_from_paths(hook, tmp_path):
    (tmp_path / "room.png").write_bytes(png())
    (tmp_path / "mask.png").write_bytes(png(alpha=0))
    answer = hook.create_image_edit(
        tmp_path / "room.png", "add a window", mask=str(tmp_path / "mask.png"), n=2, size="256x256"
    )
    assert isinstance(answer, ImagesResponse) and len(answer.data) == 2


async def test_variations_of_an_image_in_a_bucket_and_of_a_file_object(hook, bucket):
    from airflow.sdk import ObjectStoragePath

    ObjectStoragePath(f"{bucket}/cat.png").write_bytes(png())
    from_bucket = hook.create_image_variation(f"{bucket}/cat.png", response_format="b64_json")
    try:
        from_object = await hook.acreate_image_variation(io.BytesIO(png()), filename="cat.png", n=3)
        edited = await hook.acreate_image_edit(io.BytesIO(png(alpha=0)), "a hat", filename="cat.png")
    finally:
        await hook.aclose()
    assert from_bucket.data[0].b64_json and len(from_object.data) == 3 and edited.data


def test_a_bad_image_form_is_refused_before_the_file_is_sent(emu, hook, tmp_path):
    (tmp_path / "cat.png").write_bytes(png())
    with pytest.raises(InvalidRequestError, match="n"):
        hook.create_image_variation(tmp_path / "cat.png", n=11)
    assert emu.requests("/v1/images/*") == 0


# -- speech --------------------------------------------------------------------------------------------------


def test_speech_is_streamed_to_a_path_a_bucket_and_a_file_object(hook, tmp_path, bucket):
    from airflow.sdk import ObjectStoragePath

    to_path = tmp_path / "deep" / "hello.wav"
    size = hook.create_speech("tts-1", "Hello from Airflow.", "alloy", to_path, response_format="wav")
    assert size == to_path.stat().st_size > 0
    to_bucket = hook.create_speech(
        "tts-1", "Hello from Airflow.", "alloy", f"{bucket}/hello.wav", response_format="wav"
    )
    assert ObjectStoragePath(f"{bucket}/hello.wav").read_bytes() == to_path.read_bytes()
    sink = io.BytesIO(b"head:")
    sink.seek(5)
    assert (
        hook.create_speech("tts-1", "Hello from Airflow.", "alloy", sink, response_format="wav")
        == to_bucket
        == size
    )
    assert sink.getvalue() == b"head:" + to_path.read_bytes()


async def test_speech_in_another_format_from_an_event_loop(hook, tmp_path):
    try:
        size = await hook.acreate_speech(
            "tts-1", "Hello.", "nova", tmp_path / "hello.wav", response_format="wav"
        )
    finally:
        await hook.aclose()
    assert size == (tmp_path / "hello.wav").stat().st_size > 0


def test_speech_whose_answer_is_lost_is_not_asked_again_and_leaves_no_file(emu, hook, tmp_path):
    emu.fault(SPEECH, method="POST", truncate_after=100, truncate_framing="chunked")
    with pytest.raises(AnswerLostError):
        hook.create_speech(
            "tts-1", "Hello from Airflow, at some length. " * 20, "alloy", tmp_path / "cut.mp3"
        )
    assert not (tmp_path / "cut.mp3").exists()
    assert emu.requests(SPEECH, method="POST") == 1


# -- transcriptions and translations --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response_format", "expected"),
    [
        (None, CreateTranscriptionResponseJson),
        ("json", CreateTranscriptionResponseJson),
        ("verbose_json", CreateTranscriptionResponseVerboseJson),
        ("text", str),
        ("srt", str),
        ("vtt", str),
    ],
)
def test_every_transcription_format(hook, tmp_path, response_format, expected):
    (tmp_path / "talk.wav").write_bytes(wav())
    answer = hook.create_transcription(tmp_path / "talk.wav", "whisper-1", response_format=response_format)
    assert type(answer) is expected
    text = answer if isinstance(answer, str) else answer.text
    assert text.strip()
    if response_format == "srt":
        assert "-->" in answer
    if response_format == "vtt":
        assert answer.startswith("WEBVTT")
    if response_format == "verbose_json":
        assert answer.duration > 0 and answer.language and answer.segments


def test_word_timestamps_come_with_verbose_json(hook):
    answer = hook.create_transcription(
        io.BytesIO(wav()),
        "whisper-1",
        filename="talk.wav",
        response_format="verbose_json",
        timestamp_granularities=["word"],
    )
    assert isinstance(answer, CreateTranscriptionResponseVerboseJson)
    assert answer.words and all(word.end >= word.start for word in answer.words)


async def test_translations_from_a_bucket_and_from_an_event_loop(hook, bucket):
    from airflow.sdk import ObjectStoragePath

    ObjectStoragePath(f"{bucket}/talk.wav").write_bytes(wav())
    plain = hook.create_translation(f"{bucket}/talk.wav", "whisper-1")
    try:
        verbose = await hook.acreate_translation(
            f"{bucket}/talk.wav", "whisper-1", response_format="verbose_json"
        )
        text = await hook.acreate_transcription(
            io.BytesIO(wav()), "whisper-1", filename="a.wav", response_format="text"
        )
    finally:
        await hook.aclose()
    assert isinstance(plain, CreateTranslationResponseJson) and plain.text
    assert isinstance(verbose, CreateTranslationResponseVerboseJson) and verbose.language
    assert isinstance(text, str) and text.strip()
