"""The official `openai` SDK's moderation, image and audio calls against the emulator: the spec's moderation
categories, real PNGs (as base64 or a URL the emulator serves), real WAV/PCM speech that a transcription reads
back, and the service's refusals where the emulator cannot or the service would not."""

from __future__ import annotations

import base64
import io
import struct
import wave
import zlib

import httpx
import pytest

openai = pytest.importorskip("openai", reason="the official openai SDK is in the dev group")

CATEGORIES = {
    "hate", "hate/threatening", "harassment", "harassment/threatening", "self-harm", "self-harm/intent",
    "self-harm/instructions", "sexual", "sexual/minors", "violence", "violence/graphic",
}  # fmt: skip


@pytest.fixture
def client(emu):
    with openai.OpenAI(api_key=emu.api_key, base_url=emu.base_url, max_retries=0) as client:
        yield client


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, after checking every chunk's CRC and that its pixels inflate."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    position, pixels, size = 8, b"", (0, 0)
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, body = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert zlib.crc32(kind + body) == crc
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        pixels += body if kind == b"IDAT" else b""
        position += 12 + length
    width, height = size
    assert len(zlib.decompress(pixels)) == height * (1 + width * 4)
    return width, height


def test_moderations_score_the_specs_categories_and_flag_what_the_text_says(client):
    answer = client.moderations.create(input=["Have a lovely day", "I will murder you, idiot"])
    calm, threat = answer.results
    assert set(calm.categories.model_dump(by_alias=True)) >= CATEGORIES
    scores = calm.category_scores.model_dump(by_alias=True)
    assert not calm.flagged and max(scores[category] for category in CATEGORIES) < 0.01
    assert threat.flagged and threat.categories.violence and threat.categories.harassment
    assert answer.id.startswith("modr-") and answer.model == "text-moderation-007"
    assert client.moderations.create(input="x").id != answer.id
    with pytest.raises(openai.NotFoundError):
        client.moderations.create(input="x", model="gpt-4o-mini")


def test_images_are_real_pngs_as_base64_or_a_served_url(client):
    as_base64 = client.images.generate(prompt="a red kite", size="256x256", response_format="b64_json")
    picture = base64.b64decode(as_base64.data[0].b64_json)
    assert _png_size(picture) == (256, 256)
    linked = client.images.generate(prompt="a red kite", size="512x512", n=2)
    assert len(linked.data) == 2 and linked.data[0].url != linked.data[1].url
    fetched = httpx.get(linked.data[0].url)  # no key, as the service's links need none
    assert fetched.headers["content-type"] == "image/png" and _png_size(fetched.content) == (512, 512)
    wide = client.images.generate(
        prompt="a red kite", model="dall-e-3", size="1792x1024", response_format="b64_json"
    )
    assert _png_size(base64.b64decode(wide.data[0].b64_json)) == (1792, 1024) and wide.data[0].revised_prompt
    edited = client.images.edit(image=("kite.png", picture), prompt="add a tail", response_format="b64_json")
    assert _png_size(base64.b64decode(edited.data[0].b64_json)) == (1024, 1024)
    varied = client.images.create_variation(
        image=("kite.png", picture), size="256x256", response_format="b64_json"
    )
    assert varied.data[0].b64_json != as_base64.data[0].b64_json
    with pytest.raises(openai.BadRequestError, match="n=1"):
        client.images.generate(prompt="x", model="dall-e-3", n=2)
    with pytest.raises(openai.BadRequestError, match="must be a PNG"):
        client.images.create_variation(image=("kite.jpg", b"\xff\xd8\xff not a png"))


def test_speech_is_real_wav_that_a_transcription_reads_back(client):
    text = "The quick brown fox jumps over the lazy dog. Twice!"
    wav = client.audio.speech.create(model="tts-1", voice="alloy", input=text, response_format="wav").content
    with wave.open(io.BytesIO(wav)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 24_000)
        duration = audio.getnframes() / audio.getframerate()
    assert client.audio.transcriptions.create(model="whisper-1", file=("speech.wav", wav)).text == text
    verbose = client.audio.transcriptions.create(
        model="whisper-1",
        file=("speech.wav", wav),
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
    )
    assert verbose.text == text and abs(verbose.duration - duration) < 0.01 and verbose.language == "english"
    assert [w.word for w in verbose.words] == text.split() and len(verbose.segments) == 2
    srt = client.audio.transcriptions.create(
        model="whisper-1", file=("speech.wav", wav), response_format="srt"
    )
    assert srt.startswith("1\n00:00:00,000 --> ") and "lazy dog." in srt
    faster = client.audio.speech.create(
        model="tts-1", voice="nova", input=text, response_format="wav", speed=2.0
    )
    assert len(faster.content) < len(wav)
    assert client.audio.translations.create(model="whisper-1", file=("speech.wav", wav)).text == text


def test_pcm_is_the_raw_samples_of_the_wav(client):
    pcm = client.audio.speech.create(
        model="tts-1-hd", voice="echo", input="raw", response_format="pcm"
    ).content
    wav = client.audio.speech.create(
        model="tts-1-hd", voice="echo", input="raw", response_format="wav"
    ).content
    with wave.open(io.BytesIO(wav)) as audio:
        assert audio.readframes(audio.getnframes()) == pcm


def test_what_the_emulator_cannot_write_or_the_service_would_not_take_is_refused(client):
    with pytest.raises(openai.BadRequestError, match="'wav' or 'pcm'") as refused:
        client.audio.speech.create(model="tts-1", voice="alloy", input="Hello")  # mp3, the default
    assert refused.value.body["param"] == "response_format"
    with pytest.raises(openai.BadRequestError, match="Invalid file format"):
        client.audio.transcriptions.create(model="whisper-1", file=("notes.txt", b"hello"))
    with pytest.raises(openai.BadRequestError, match="too short"):
        client.audio.transcriptions.create(model="whisper-1", file=("empty.mp3", b"\x00"))
    other = client.audio.transcriptions.create(model="whisper-1", file=("interview.mp3", b"\x00" * 32_000))
    assert other.text == "Emulated transcription of interview.mp3."
