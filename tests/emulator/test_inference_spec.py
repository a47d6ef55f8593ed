"""Moderations, images and audio answer what the spec allows (the `media` group of `tests.support.conformance`):
every answer of the scenario is validated as it arrives, and every operation of the group gets a checked success.
Chat, completions, embeddings and models: `test_spec_conformance`."""

from __future__ import annotations

import base64

import pytest

from tests.support.conformance import checked_client


@pytest.fixture
def checked(emu):
    with checked_client(emu) as (client, checker):
        yield client, checker


def _speech(client, text: str, **options) -> bytes:
    answer = client.post(
        "audio/speech",
        json={"model": "tts-1", "voice": "alloy", "input": text, "response_format": "wav", **options},
    )
    assert answer.status_code == 200, answer.text
    return answer.content


def test_moderations_images_and_audio_answer_what_the_spec_allows(checked):
    client, checker = checked
    client.post("moderations", json={"input": "A friendly greeting."})
    client.post(
        "moderations", json={"input": ["I will murder you", "hello"], "model": "omni-moderation-latest"}
    )

    generated = client.post(
        "images/generations",
        json={"prompt": "a lighthouse", "size": "256x256", "response_format": "b64_json"},
    ).json()
    client.post("images/generations", json={"prompt": "a lighthouse", "n": 2, "size": "256x256"})
    client.post("images/generations", json={"prompt": "a lighthouse", "model": "dall-e-3", "quality": "hd"})
    picture = base64.b64decode(generated["data"][0]["b64_json"])
    client.post(
        "images/edits",
        files={"image": ("in.png", picture), "mask": ("mask.png", picture)},
        data={"prompt": "add a boat", "n": "2", "size": "256x256"},
    )
    client.post(
        "images/variations",
        files={"image": ("in.png", picture)},
        data={"size": "256x256", "response_format": "b64_json"},
    )

    wav = _speech(client, "The tide comes in. The tide goes out.")
    client.post(
        "audio/speech", json={"model": "tts-1-hd", "voice": "nova", "input": "raw", "response_format": "pcm"}
    )
    audio = {"file": ("speech.wav", wav)}
    for response_format in ("json", "text", "srt", "vtt", "verbose_json"):
        client.post(
            "audio/transcriptions",
            files=audio,
            data={"model": "whisper-1", "response_format": response_format},
        )
    client.post(
        "audio/transcriptions",
        files=audio,
        data={
            "model": "whisper-1",
            "response_format": "verbose_json",
            "timestamp_granularities[]": ["word", "segment"],
        },
    )
    client.post("audio/translations", files=audio, data={"model": "whisper-1"})
    client.post(
        "audio/translations", files=audio, data={"model": "whisper-1", "response_format": "verbose_json"}
    )

    client.post("moderations", json={"input": 3})
    client.post("moderations", json={"input": "x", "model": "gpt-4o"})
    client.post("images/generations", json={"prompt": "x", "model": "dall-e-3", "n": 2})
    client.post("images/generations", json={"prompt": "x", "size": "1792x1024"})
    client.post("images/variations", files={"image": ("in.png", b"not a png")})
    client.post("audio/speech", json={"model": "tts-1", "voice": "alloy", "input": "x"})  # mp3
    client.post("audio/speech", json={"model": "tts-1", "voice": "alloy", "input": "x", "speed": 9.0})
    client.post("audio/transcriptions", files={"file": ("notes.txt", b"hello")}, data={"model": "whisper-1"})
    client.post("audio/transcriptions", files=audio, data={"model": "gpt-nope"})

    checker.assert_covers("media")
    assert checker.statuses() == {200, 400, 404}
    assert {
        "CreateModerationResponse",
        "ImagesResponse",
        "CreateTranscriptionResponseVerboseJson",
    } <= checker.validated
    assert {"CreateTranscriptionResponseJson", "CreateTranslationResponseVerboseJson"} <= checker.validated
