"""The hook's inference methods against the emulator over loopback: typed answers, sync and async,
streams of chunks, bodies refused before sending, and retries as the core decides for a POST."""

from __future__ import annotations

import time

import pytest

from airflow_openai.client import AnswerLostError, APIConnectionError, InvalidRequestError
from airflow_openai.client.sse import AsyncChunkStream, ChunkStream
from airflow_openai.models import (
    CreateChatCompletionResponse,
    CreateChatCompletionStreamResponse,
    CreateCompletionResponse,
    CreateEmbeddingResponse,
    CreateModerationResponse,
    ImagesResponse,
)
from tests.support.clients import hook_for

CHAT = "/v1/chat/completions"
MODEL = "gpt-4o-mini"
ASK = [{"role": "user", "content": "Name three rivers of Europe."}]


@pytest.fixture
def hook(emu):
    with hook_for(emu.base_url, api_key=emu.api_key, admin_api_key=emu.admin_key) as hook:
        yield hook


def _text(chunks) -> str:
    return "".join(choice.delta.content or "" for chunk in chunks for choice in chunk.choices)


def test_a_chat_completion_is_a_typed_answer(hook):
    answer = hook.create_chat_completion(MODEL, ASK, temperature=0, max_completion_tokens=50)
    assert isinstance(answer, CreateChatCompletionResponse)
    assert answer.object == "chat.completion" and answer.model.startswith(MODEL)
    assert answer.choices[0].message.role == "assistant" and answer.choices[0].message.content
    assert answer.usage is not None and answer.usage.total_tokens > 0


def test_a_text_completion_is_a_typed_answer(hook):
    answer = hook.create_completion("gpt-3.5-turbo-instruct", "Once upon a time", max_tokens=10)
    assert isinstance(answer, CreateCompletionResponse) and answer.choices[0].text


def test_a_body_the_spec_refuses_never_reaches_the_api(emu, hook):
    with pytest.raises(InvalidRequestError, match="temperature"):
        hook.create_chat_completion(MODEL, ASK, temperature=7)
    with pytest.raises(InvalidRequestError, match="messages"):
        hook.stream_chat_completion(MODEL, [])
    assert emu.requests(CHAT) == 0


@pytest.mark.parametrize("encoding_format", [None, "float", "base64"])
def test_embeddings_are_lists_of_floats_whatever_the_format(hook, encoding_format):
    answer = hook.create_embedding(
        "text-embedding-3-small", ["a river", "a sea"], dimensions=8, encoding_format=encoding_format
    )
    assert isinstance(answer, CreateEmbeddingResponse)
    assert [item.index for item in answer.data] == [0, 1]
    assert all(
        len(item.embedding) == 8 and all(isinstance(x, float) for x in item.embedding) for item in answer.data
    )
    reference = hook.create_embedding(
        "text-embedding-3-small", ["a river", "a sea"], dimensions=8, encoding_format="float"
    )
    assert answer.data[0].embedding == pytest.approx(reference.data[0].embedding, rel=1e-6, abs=1e-7)


def test_the_chat_stream_tells_the_same_answer_in_chunks(emu, hook):
    whole = hook.create_chat_completion(MODEL, ASK)
    with hook.stream_chat_completion(MODEL, ASK, stream_options={"include_usage": True}) as chunks:
        assert isinstance(chunks, ChunkStream)
        received = list(chunks)
    assert all(isinstance(chunk, CreateChatCompletionStreamResponse) for chunk in received)
    assert _text(received) == whole.choices[0].message.content
    assert received[0].choices[0].delta.role == "assistant"
    assert received[-1].usage is not None and received[-1].choices == []
    assert emu.requests(CHAT, method="POST") == 2


def test_a_completion_streams_too(hook):
    whole = hook.create_completion("gpt-3.5-turbo-instruct", "Once upon a time")
    chunks = list(hook.stream_completion("gpt-3.5-turbo-instruct", "Once upon a time"))
    assert "".join(choice.text for chunk in chunks for choice in chunk.choices) == whole.choices[0].text


def test_a_stream_stopped_early_leaves_the_hook_ready_for_the_next_call(hook):
    chunks = hook.stream_chat_completion(MODEL, ASK)
    first = next(chunks)
    chunks.close()
    with pytest.raises(StopIteration):
        next(chunks)
    assert first.choices[0].delta.role == "assistant"
    assert hook.create_chat_completion(MODEL, ASK).choices[0].message.content


async def test_the_async_twins_answer_as_the_sync_methods(hook):
    try:
        whole = await hook.acreate_chat_completion(MODEL, ASK)
        stream = hook.astream_chat_completion(MODEL, ASK)
        assert isinstance(stream, AsyncChunkStream)
        async with stream as chunks:
            received = [chunk async for chunk in chunks]
        embedding = await hook.acreate_embedding("text-embedding-3-small", "a river", dimensions=4)
        completion = await hook.acreate_completion("gpt-3.5-turbo-instruct", "Once")
        legacy = [chunk async for chunk in hook.astream_completion("gpt-3.5-turbo-instruct", "Once")]
    finally:
        await hook.aclose()
    assert _text(received) == whole.choices[0].message.content
    assert len(embedding.data[0].embedding) == 4
    assert "".join(chunk.choices[0].text for chunk in legacy if chunk.choices) == completion.choices[0].text


async def test_an_async_stream_stopped_early_is_closed(hook):
    try:
        async with hook.astream_chat_completion(MODEL, ASK) as chunks:
            async for _ in chunks:
                break
        again = await hook.acreate_chat_completion(MODEL, ASK)
    finally:
        await hook.aclose()
    assert again.choices[0].message.content


def test_moderations_answer_each_input(hook):
    answer = hook.create_moderation(["I love rivers.", "I will hurt you."])
    assert isinstance(answer, CreateModerationResponse) and len(answer.results) == 2
    for result in answer.results:
        assert isinstance(result.flagged, bool)
        assert set(result.categories) >= {"hate", "violence", "self-harm/intent"}
        assert set(result.category_scores) == set(result.categories)


async def test_images_from_a_prompt(hook):
    answer = hook.create_image("a lighthouse at dusk", n=2, size="256x256", response_format="b64_json")
    assert isinstance(answer, ImagesResponse) and len(answer.data) == 2
    assert all(image.b64_json for image in answer.data)
    try:
        linked = await hook.acreate_image("a lighthouse at dusk", model="dall-e-2")
    finally:
        await hook.aclose()
    assert linked.data[0].url


# -- retries as the core decides for a POST -------------------------------------------------------------------


def test_a_refusal_with_retry_after_is_waited_out_and_sent_again(emu, hook):
    emu.fault(CHAT, method="POST", status=429, retry_after=0.5)
    started = time.monotonic()
    answer = hook.create_chat_completion(MODEL, ASK)
    assert time.monotonic() - started >= 0.5, "Retry-After: 0.5 must be honoured"
    assert answer.choices[0].message.content
    assert emu.requests(CHAT, method="POST") == 2
    assert hook.rate_limits is not None and hook.rate_limits.reset_requests is not None


def test_a_lost_answer_is_not_paid_for_twice(emu, hook):
    emu.fault(CHAT, method="POST", status=502, after=True)
    with pytest.raises(AnswerLostError):
        hook.create_chat_completion(MODEL, ASK)
    emu.fault(CHAT, method="POST", drop=True, status=None, after=True)
    with pytest.raises(AnswerLostError):
        hook.create_chat_completion(MODEL, ASK)
    assert emu.requests(CHAT, method="POST") == 2


def test_a_stream_cut_short_is_not_asked_again(emu, hook):
    """Cut before its first event, the answer is lost (`AnswerLostError`); cut among its events, the
    caller has read part of it (`APIConnectionError`). Either way it is asked for once."""
    emu.fault(CHAT, method="POST", truncate_after=300, truncate_framing="chunked")
    with pytest.raises((AnswerLostError, APIConnectionError)):
        list(hook.stream_chat_completion(MODEL, ASK))
    assert emu.requests(CHAT, method="POST") == 1


def test_a_free_moderation_is_simply_asked_again(emu, hook):
    emu.fault("/v1/moderations", method="POST", status=502, after=True)
    assert len(hook.create_moderation("hello").results) == 1
    assert emu.requests("/v1/moderations", method="POST") == 2


def test_rate_limits_of_the_latest_answer_are_the_hooks(emu, hook):
    emu.rate_limit(100)
    hook.create_chat_completion(MODEL, ASK)
    first = hook.rate_limits
    hook.create_embedding("text-embedding-3-small", "a river")
    latest = hook.rate_limits
    assert first is not None and latest is not None
    assert latest.limit_requests == 100 and latest.remaining_requests == first.remaining_requests - 1
    assert latest.observed_at >= first.observed_at
