"""The same requests through the official `openai` SDK and through the hook, against one emulator,
give the same answers: each answer's JSON, ids and creation times aside (each call's own), and
fields the one leaves unset and the other sends as null read as absent. Images are compared as
`b64_json`: a `url` names each call's own image."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.clients import hook_for
from tests.support.media import png, wav

openai = pytest.importorskip("openai")

MODEL = "gpt-4o-mini"
ASK = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name three rivers."}]
OWN = frozenset({"id", "created"})


@pytest.fixture
def sdk(emu):
    client = openai.OpenAI(api_key=emu.api_key, base_url=emu.base_url, max_retries=0)
    yield client
    client.close()


@pytest.fixture
def hook(emu):
    with hook_for(emu.base_url, api_key=emu.api_key) as hook:
        yield hook


def plain(value: Any) -> Any:
    """An answer as JSON, without its ids, creation times and null values."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json", by_alias=True)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items() if item is not None and key not in OWN}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


Case = tuple[Callable[[Any], Any], Callable[[Any], Any]]
CASES: dict[str, Case] = {
    "chat": (
        lambda sdk: sdk.chat.completions.create(model=MODEL, messages=ASK, temperature=0, seed=7),
        lambda hook: hook.create_chat_completion(MODEL, ASK, temperature=0, seed=7),
    ),
    "chat as JSON": (
        lambda sdk: sdk.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "Rivers as JSON."}],
            response_format={"type": "json_object"},
        ),
        lambda hook: hook.create_chat_completion(
            MODEL, [{"role": "user", "content": "Rivers as JSON."}], response_format={"type": "json_object"}
        ),
    ),
    "completion": (
        lambda sdk: sdk.completions.create(model="gpt-3.5-turbo-instruct", prompt="Once upon", max_tokens=12),
        lambda hook: hook.create_completion("gpt-3.5-turbo-instruct", "Once upon", max_tokens=12),
    ),
    "embeddings": (
        lambda sdk: sdk.embeddings.create(model="text-embedding-3-small", input=["a", "b c"], dimensions=16),
        lambda hook: hook.create_embedding("text-embedding-3-small", ["a", "b c"], dimensions=16),
    ),
    "embeddings as floats": (
        lambda sdk: sdk.embeddings.create(model="text-embedding-3-large", input="a", encoding_format="float"),
        lambda hook: hook.create_embedding("text-embedding-3-large", "a", encoding_format="float"),
    ),
    "moderation": (
        lambda sdk: sdk.moderations.create(input=["I love rivers.", "I will hurt you."]),
        lambda hook: hook.create_moderation(["I love rivers.", "I will hurt you."]),
    ),
    "image": (
        lambda sdk: sdk.images.generate(
            prompt="a lighthouse", n=2, size="256x256", response_format="b64_json"
        ),
        lambda hook: hook.create_image("a lighthouse", n=2, size="256x256", response_format="b64_json"),
    ),
    "image edit": (
        lambda sdk: sdk.images.edit(
            image=("room.png", png(), "image/png"),
            mask=("mask.png", png(alpha=0), "image/png"),
            prompt="a window",
            response_format="b64_json",
        ),
        lambda hook: hook.create_image_edit(
            io.BytesIO(png()),
            "a window",
            mask=io.BytesIO(png(alpha=0)),
            filename="room.png",
            response_format="b64_json",
        ),
    ),
    "image variation": (
        lambda sdk: sdk.images.create_variation(
            image=("cat.png", png(), "image/png"), n=2, response_format="b64_json"
        ),
        lambda hook: hook.create_image_variation(
            io.BytesIO(png()), filename="cat.png", n=2, response_format="b64_json"
        ),
    ),
    **{
        f"transcription as {kind}": (
            lambda sdk, kind=kind: sdk.audio.transcriptions.create(
                file=("talk.wav", wav()), model="whisper-1", response_format=kind
            ),
            lambda hook, kind=kind: hook.create_transcription(
                io.BytesIO(wav()), "whisper-1", filename="talk.wav", response_format=kind
            ),
        )
        for kind in ("json", "verbose_json", "text", "srt", "vtt")
    },
    "transcription with words": (
        lambda sdk: sdk.audio.transcriptions.create(
            file=("talk.wav", wav()),
            model="whisper-1",
            response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
        ),
        lambda hook: hook.create_transcription(
            io.BytesIO(wav()),
            "whisper-1",
            filename="talk.wav",
            response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
        ),
    ),
    "translation": (
        lambda sdk: sdk.audio.translations.create(file=("talk.wav", wav()), model="whisper-1"),
        lambda hook: hook.create_translation(io.BytesIO(wav()), "whisper-1", filename="talk.wav"),
    ),
    "translation as text": (
        lambda sdk: sdk.audio.translations.create(
            file=("talk.wav", wav()), model="whisper-1", response_format="text"
        ),
        lambda hook: hook.create_translation(
            io.BytesIO(wav()), "whisper-1", filename="talk.wav", response_format="text"
        ),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_hook_answers_as_the_sdk(sdk, hook, name):
    ask_sdk, ask_hook = CASES[name]
    theirs, ours = ask_sdk(sdk), ask_hook(hook)
    assert type(theirs) is str if isinstance(ours, str) else not isinstance(theirs, str)
    assert plain(ours) == plain(theirs)


@pytest.mark.parametrize("stream_options", [None, {"include_usage": True}])
def test_a_streamed_chat_arrives_in_the_same_chunks(sdk, hook, stream_options):
    extra = {} if stream_options is None else {"stream_options": stream_options}
    theirs = list(sdk.chat.completions.create(model=MODEL, messages=ASK, stream=True, **extra))
    ours = list(hook.stream_chat_completion(MODEL, ASK, **extra))
    assert [plain(chunk) for chunk in ours] == [plain(chunk) for chunk in theirs]


def test_a_streamed_completion_arrives_in_the_same_chunks(sdk, hook):
    theirs = list(sdk.completions.create(model="gpt-3.5-turbo-instruct", prompt="Once upon", stream=True))
    ours = list(hook.stream_completion("gpt-3.5-turbo-instruct", "Once upon"))
    assert [plain(chunk) for chunk in ours] == [plain(chunk) for chunk in theirs]


async def test_the_async_stream_arrives_as_the_async_sdks(emu, hook):
    client = openai.AsyncOpenAI(api_key=emu.api_key, base_url=emu.base_url, max_retries=0)
    try:
        theirs = [
            chunk
            async for chunk in await client.chat.completions.create(model=MODEL, messages=ASK, stream=True)
        ]
        ours = [chunk async for chunk in hook.astream_chat_completion(MODEL, ASK)]
    finally:
        await client.close()
        await hook.aclose()
    assert [plain(chunk) for chunk in ours] == [plain(chunk) for chunk in theirs]


def test_speech_is_the_same_bytes(sdk, hook):
    theirs = sdk.audio.speech.create(
        model="tts-1", input="Hello from Airflow.", voice="alloy", response_format="wav"
    )
    sink = io.BytesIO()
    size = hook.create_speech("tts-1", "Hello from Airflow.", "alloy", sink, response_format="wav")
    assert sink.getvalue() == theirs.content and size == len(theirs.content) > 0
