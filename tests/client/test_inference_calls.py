"""Inference calls in the HTTP core: bodies checked before sending, streamed answers read as events,
plain-text answers, multipart forms, base64 vectors and rate-limit headers.

Streams whose shape the emulator never sends (events split anywhere, an error event, a stream cut
short, a JSON answer to a streamed call) come from the scripted server, over real HTTP.
"""

from __future__ import annotations

import base64
import io
import json
import struct

import httpx
import pytest

from airflow_openai.client import APIConnectionError, InvalidRequestError, InvalidResponseError, StreamError
from airflow_openai.client.endpoints import audio, chat, completions, embeddings, images, moderations
from airflow_openai.client.exchange import client_options
from airflow_openai.client.rate_limits import RateLimits, parse_duration
from airflow_openai.client.sse import ChunkStream, EventDecoder, ServerSentEvent
from airflow_openai.client.transport import AsyncTransport, SyncTransport
from tests.support.clients import FAST_RETRIES, hook_for
from tests.support.scripted_server import Reply

USER = [{"role": "user", "content": "hi"}]
CHUNK = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "gpt-4o-mini",
    "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": None}],
}


def _chunk(text: str) -> dict:
    return {**CHUNK, "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}


def _sse(*objects: object, done: bool = True, newline: str = "\n") -> bytes:
    lines = [f"data: {json.dumps(item)}{newline}{newline}" for item in objects]
    if done:
        lines.append(f"data: [DONE]{newline}{newline}")
    return "".join(lines).encode()


EVENT_STREAM = {"content-type": "text/event-stream"}


# -- bodies are checked before anything is sent ------------------------------------------------------------

REFUSED = [
    (lambda: chat.create_chat_completion("gpt-4o-mini", USER, temperature=7), "temperature"),
    (lambda: chat.create_chat_completion("gpt-4o-mini", "hi"), "messages"),  # type: ignore[arg-type]
    (lambda: chat.create_chat_completion("gpt-4o-mini", USER, n="two"), "n"),
    (
        lambda: chat.create_chat_completion("gpt-4o-mini", [{"role": "robot", "content": "x"}]),
        "messages[0].role",
    ),
    (lambda: chat.create_chat_completion("gpt-4o-mini", [{"role": "tool", "content": "x"}]), "messages[0]"),
    (lambda: chat.create_chat_completion("gpt-4o-mini", USER, stop=["a"] * 5), "stop"),
    (
        lambda: chat.create_chat_completion("gpt-4o-mini", USER, response_format={"type": "json_object"}),
        "response_format",
    ),
    (lambda: chat.create_chat_completion("gpt-4o-mini", USER, stream=True), "stream"),
    (lambda: chat.stream_chat_completion("", USER), "model"),
    (lambda: completions.create_completion("gpt-3.5-turbo-instruct", "x", logprobs=6), "logprobs"),
    (lambda: embeddings.create_embedding("text-embedding-3-small", [], dimensions=8), "input"),
    (
        lambda: embeddings.create_embedding("text-embedding-3-small", "x", encoding_format="hex"),
        "encoding_format",
    ),
    (lambda: moderations.create_moderation(7), "input"),  # type: ignore[arg-type]
    (lambda: images.create_image("a cat", n=11), "n"),
    (lambda: images.create_image("a cat", response_format="png"), "response_format"),
    (lambda: audio.create_speech("tts-1", "x" * 4097, "alloy"), "input"),
    (lambda: audio.create_speech("tts-1", "hello", "alloy", speed=5), "speed"),
    (lambda: audio.create_speech("tts-1", "hello", "alloy", response_format="ogg"), "response_format"),
]


@pytest.mark.parametrize(("build", "field"), REFUSED)
def test_a_body_the_spec_refuses_is_refused_naming_its_field(build, field):
    with pytest.raises(InvalidRequestError) as caught:
        build()
    assert caught.value.field == field
    assert "the request was not sent" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_transcription_form_is_checked_before_sending():
    with pytest.raises(InvalidRequestError) as caught:
        audio.create_transcription(io.BytesIO(b"x"), "a.mp3", "whisper-1", timestamp_granularities=["word"])
    assert caught.value.field == "timestamp_granularities[]"
    with pytest.raises(InvalidRequestError, match="response_format"):
        audio.create_translation(io.BytesIO(b"x"), "a.mp3", "whisper-1", response_format="doc")


def test_the_callers_body_is_sent_as_given_without_its_none_values():
    call = chat.create_chat_completion("gpt-4o-mini", USER, temperature=0, seed=None, new_field={"a": 1})
    assert call.json == {"model": "gpt-4o-mini", "messages": USER, "temperature": 0, "new_field": {"a": 1}}
    assert call.method == "POST" and call.path == "/chat/completions" and not call.idempotent
    streamed = chat.stream_chat_completion("gpt-4o-mini", USER, stream_options={"include_usage": True})
    assert streamed.streamed and streamed.json["stream"] is True


def test_tuples_and_mappings_are_read_as_the_json_they_are_sent_as():
    from types import MappingProxyType

    messages = (MappingProxyType({"role": "user", "content": "hi"}),)
    call = chat.create_chat_completion("gpt-4o-mini", messages, stop=("a", "b"))
    assert call.json == {"model": "gpt-4o-mini", "messages": USER, "stop": ["a", "b"]}


def test_a_moderation_is_repeatable_but_a_paid_call_is_not():
    assert moderations.create_moderation("hello").idempotent
    assert not embeddings.create_embedding("text-embedding-3-small", "x").idempotent
    assert not images.create_image("a cat").idempotent


def test_form_fields_are_sent_as_text_and_lists_as_repeated_fields(server):
    verbose = {"text": "hello", "language": "english", "duration": 1.5, "words": [], "segments": []}
    server.queue("POST", "/v1/audio/transcriptions", Reply(200, verbose))
    with hook_for(server.base_url) as hook:
        answer = hook.create_transcription(
            io.BytesIO(b"RIFF...."),
            "whisper-1",
            filename="talk.wav",
            response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
            temperature=0.5,
        )
    assert answer.duration == 1.5
    body = server.requests_to("/v1/audio/transcriptions")[0].body
    assert body.count(b'name="timestamp_granularities[]"') == 2
    assert b'name="temperature"\r\n\r\n0.5\r\n' in body
    assert b'filename="talk.wav"' in body and b"Content-Type: audio/" in body


def test_audio_without_a_file_name_is_refused_before_sending(server):
    with hook_for(server.base_url) as hook, pytest.raises(ValueError, match="filename="):
        hook.create_transcription(io.BytesIO(b"RIFF...."), "whisper-1")
    assert server.seen == []


@pytest.mark.parametrize("kind", ["text", "srt", "vtt"])
def test_text_formats_are_answered_as_strings(server, kind):
    text = "1\n00:00:00,000 --> 00:00:01,000\nhello\n"
    server.queue(
        "POST",
        "/v1/audio/translations",
        Reply(200, body=text.encode(), headers={"content-type": "text/plain"}),
    )
    with hook_for(server.base_url) as hook:
        answer = hook.create_translation(
            io.BytesIO(b"x"), "whisper-1", filename="a.mp3", response_format=kind
        )
    assert answer == text


# -- embeddings: base64 asked for and decoded ------------------------------------------------------------------


def test_vectors_are_asked_for_as_base64_and_decoded_little_endian(server):
    values = [0.5, -1.25, 3.0e-8]
    packed = base64.b64encode(struct.pack("<3f", *values)).decode()
    data = [
        {"object": "embedding", "index": 0, "embedding": packed},
        {"object": "embedding", "index": 1, "embedding": [0.1]},
    ]
    answer = {"object": "list", "model": "m", "data": data, "usage": {"prompt_tokens": 1, "total_tokens": 1}}
    server.queue("POST", "/v1/embeddings", Reply(200, answer), Reply(200, answer))
    with hook_for(server.base_url) as hook:
        given = hook.create_embedding("m", ["a", "b"])
        explicit = hook.create_embedding("m", ["a", "b"], encoding_format="base64")
    assert given.data[0].embedding == pytest.approx(values) and given.data[1].embedding == [0.1]
    assert explicit == given
    sent = [json.loads(seen.body) for seen in server.requests_to("/v1/embeddings")]
    assert [body["encoding_format"] for body in sent] == ["base64", "base64"]


def test_a_vector_that_is_not_float32s_is_an_unreadable_answer(server):
    data = [{"object": "embedding", "index": 0, "embedding": base64.b64encode(b"abc").decode()}]
    server.queue("POST", "/v1/embeddings", Reply(200, {"object": "list", "model": "m", "data": data}))
    with hook_for(server.base_url) as hook, pytest.raises(InvalidResponseError, match="float32"):
        hook.create_embedding("m", "a")


# -- streamed answers ------------------------------------------------------------------------------------------


def test_events_are_read_as_the_event_stream_rules_say():
    decoder = EventDecoder()
    lines = [
        ": keep-alive",
        "event: message",
        'data: {"a":',
        "data: 1}",
        "id: 7",
        "",
        "",
        "data:x",
        "retry: 5",
        "",
    ]
    events = [event for line in lines if (event := decoder.feed(line)) is not None]
    assert events == [ServerSentEvent('{"a":\n1}', "message", "7"), ServerSentEvent("x", None, "7")]
    assert ServerSentEvent("[DONE]").done and not events[0].done


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_stream_split_anywhere_gives_every_chunk_in_order(server, newline):
    payload = _sse(*(_chunk(part) for part in ["Hel", "lo", " wörld"]), newline=newline)
    pieces = [payload[i : i + 7] for i in range(0, len(payload), 7)]  # cuts lines, and a UTF-8 character
    server.queue("POST", "/v1/chat/completions", Reply(200, headers=EVENT_STREAM, chunks=pieces))
    with hook_for(server.base_url) as hook:
        chunks = list(hook.stream_chat_completion("gpt-4o-mini", USER))
    assert "".join(chunk.choices[0].delta.content for chunk in chunks) == "Hello wörld"
    assert json.loads(server.requests_to("/v1/chat/completions")[0].body)["stream"] is True


async def test_the_async_stream_reads_the_same_chunks(server):
    legacy = {"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "m"}
    events = [{**legacy, "choices": [{"index": 0, "text": part, "finish_reason": None}]} for part in "abc"]
    payload = _sse(*events)
    server.queue(
        "POST", "/v1/completions", Reply(200, headers=EVENT_STREAM, chunks=[payload[:9], payload[9:]])
    )
    hook = hook_for(server.base_url)
    try:
        async with hook.astream_completion("m", "x") as chunks:
            texts = [chunk.choices[0].text async for chunk in chunks]
    finally:
        await hook.aclose()
    assert texts == ["a", "b", "c"]


def test_an_error_event_stops_the_stream_with_its_envelope(server):
    error = {"error": {"message": "The server had an error", "type": "server_error", "code": "overloaded"}}
    server.queue(
        "POST", "/v1/chat/completions", Reply(200, body=_sse(_chunk("a"), error), headers=EVENT_STREAM)
    )
    seen = []
    with hook_for(server.base_url) as hook, pytest.raises(StreamError) as caught:
        for chunk in hook.stream_chat_completion("gpt-4o-mini", USER):
            seen.append(chunk.choices[0].delta.content)
    assert seen == ["a"]
    assert (caught.value.code, caught.value.type) == ("overloaded", "server_error")
    assert "The server had an error" in str(caught.value) and caught.value.request_id


def test_a_stream_without_its_done_event_is_not_taken_as_whole(server):
    server.queue(
        "POST", "/v1/chat/completions", Reply(200, body=_sse(_chunk("a"), done=False), headers=EVENT_STREAM)
    )
    with hook_for(server.base_url) as hook, pytest.raises(APIConnectionError, match=r"before its \[DONE\]"):
        list(hook.stream_chat_completion("gpt-4o-mini", USER))


def test_a_json_answer_to_a_streamed_call_is_refused(server):
    server.queue("POST", "/v1/chat/completions", Reply(200, {"id": "x"}))
    with hook_for(server.base_url) as hook, pytest.raises(InvalidResponseError, match="text/event-stream"):
        next(hook.stream_chat_completion("gpt-4o-mini", USER))


def _recording_client(opened: list[httpx.Response]) -> httpx.Client:
    return httpx.Client(**client_options(), event_hooks={"response": [opened.append]})


def test_stopping_early_closes_the_response(server):
    payload = _sse(*(_chunk(str(n)) for n in range(50)))
    server.queue("POST", "/v1/chat/completions", Reply(200, headers=EVENT_STREAM, chunks=[payload]))
    opened: list[httpx.Response] = []
    hook = hook_for(server.base_url)
    transport = SyncTransport(hook.settings, http_client=_recording_client(opened), policy=FAST_RETRIES)
    with ChunkStream(transport.stream(chat.stream_chat_completion("gpt-4o-mini", USER))) as chunks:
        first = next(chunks)
        assert not opened[0].is_closed
    assert first.choices[0].delta.content == "0"
    assert opened[0].is_closed
    transport.close()


async def test_stopping_an_async_stream_early_closes_the_response(server):
    payload = _sse(*(_chunk(str(n)) for n in range(50)))
    server.queue("POST", "/v1/chat/completions", Reply(200, headers=EVENT_STREAM, chunks=[payload]))
    opened: list[httpx.Response] = []

    async def record(response: httpx.Response) -> None:
        opened.append(response)

    client = httpx.AsyncClient(**client_options(), event_hooks={"response": [record]})
    transport = AsyncTransport(hook_for(server.base_url).settings, http_client=client, policy=FAST_RETRIES)
    chunks = transport.stream(chat.stream_chat_completion("gpt-4o-mini", USER))
    async for _ in chunks:
        break
    assert not opened[0].is_closed
    await chunks.aclose()
    assert opened[0].is_closed
    await transport.aclose()


# -- rate limits -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("0.5", 0.5), ("2d", 172800.0)],
)
def test_durations_are_read_as_the_api_writes_them(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "soon", "1x", "s1", "1s soon", None])
def test_what_is_not_a_duration_is_none(text):
    assert parse_duration(text) is None


def test_rate_limits_are_read_from_the_headers():
    headers = httpx.Headers(
        {
            "x-ratelimit-limit-requests": "5000",
            "x-ratelimit-limit-tokens": "160000",
            "x-ratelimit-remaining-requests": "4999",
            "x-ratelimit-remaining-tokens": "159980",
            "x-ratelimit-reset-requests": "12ms",
            "x-ratelimit-reset-tokens": "6m0s",
        }
    )
    limits = RateLimits.from_headers(headers, observed_at=1000.0)
    assert limits == RateLimits(5000, 160000, 4999, 159980, 0.012, 360.0, 1000.0)
    assert limits.tokens_reset_at == 1360.0 and limits.requests_reset_at == pytest.approx(1000.012)
    assert RateLimits.from_headers(httpx.Headers({"content-type": "application/json"})) is None


def test_the_hook_keeps_the_latest_limits_seen_including_a_refusals(server):
    limited = {
        "x-ratelimit-limit-requests": "60",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "1s",
    }
    answer = {"id": "m", "model": "m", "results": []}
    server.queue(
        "POST",
        "/v1/moderations",
        Reply(
            429,
            {"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}},
            headers=limited,
        ),
        Reply(200, answer, headers={**limited, "x-ratelimit-remaining-requests": "59"}),
    )
    with hook_for(server.base_url) as hook:
        assert hook.rate_limits is None
        hook.create_moderation("hello")
        assert (hook.rate_limits.limit_requests, hook.rate_limits.remaining_requests) == (60, 59)
    assert len(server.requests_to("/v1/moderations")) == 2
