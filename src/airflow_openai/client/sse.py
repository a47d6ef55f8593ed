"""Streamed answers (`"stream": true`): server-sent events read as they arrive, and the streams
of parsed chunks the hook hands out.

Both transports read the answer's lines through httpx's public streaming API
(`iter_lines` / `aiter_lines`), turn them into events here (the WHATWG event-stream rules:
`data:` lines joined, `event:` and `id:` kept, comments and unknown fields passed over, an
event dispatched at a blank line), and each event's JSON into the call's model, until the
API's `[DONE]`. An error event raises `StreamError`; a stream that ends without `[DONE]` was
cut short and raises `APIConnectionError` rather than passing for a whole answer.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx

from airflow_openai.client.calls import ApiCall
from airflow_openai.client.errors import APIConnectionError, InvalidResponseError, StreamError
from airflow_openai.client.exchange import parse_answer

T = TypeVar("T")

DONE = "[DONE]"


@dataclass(frozen=True)
class ServerSentEvent:
    data: str
    event: str | None = None
    id: str | None = None

    @property
    def done(self) -> bool:
        """The API's last event: the answer is whole."""
        return self.data.strip() == DONE


class EventDecoder:
    """Lines in, events out: one event per blank line that follows at least one `data:` line.
    Both transports feed it the lines of one answer, sync or async alike."""

    def __init__(self) -> None:
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None

    def feed(self, line: str) -> ServerSentEvent | None:
        if not line:
            if not self._data:
                self._event = None
                return None
            event = ServerSentEvent("\n".join(self._data), self._event, self._id)
            self._data, self._event = [], None
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        return None


def chunk_of(call: ApiCall[T], event: ServerSentEvent, response: httpx.Response) -> T:
    """The call's model of one event's JSON; an error event raises `StreamError`."""
    try:
        value = json.loads(event.data)
    except ValueError as exc:
        raise InvalidResponseError(
            f"{call.describe} streamed an event that is not JSON ({exc}): {event.data[:200]!r}",
            status_code=response.status_code,
            request_id=response.headers.get("x-request-id"),
        ) from None
    if isinstance(value, dict) and value.get("error"):
        raise _stream_error(call, value["error"], response)
    return parse_answer(call, value, response)


def check_event_stream(call: ApiCall[Any], response: httpx.Response) -> None:
    """A server that answers a streamed call with one body (JSON, an HTML page) did not stream it."""
    kind = response.headers.get("content-type", "")
    if not kind.startswith("text/event-stream"):
        raise InvalidResponseError(
            f"{call.describe} was asked to stream its answer and answered with {kind or 'no content type'} "
            "instead of text/event-stream",
            status_code=response.status_code,
            request_id=response.headers.get("x-request-id"),
        )


def cut_short(call: ApiCall[Any], response: httpx.Response) -> APIConnectionError:
    return APIConnectionError(
        f"{call.describe} streamed an answer that ended before its [DONE] event: it is incomplete",
        method=call.method,
        url=str(response.request.url),
    )


def _stream_error(call: ApiCall[Any], error: Any, response: httpx.Response) -> StreamError:
    envelope = error if isinstance(error, dict) else {"message": str(error)}
    fields = {key: _text(envelope.get(key)) for key in ("type", "code", "param")}
    message = _text(envelope.get("message")) or "An error occurred during streaming"
    return StreamError(
        f"{call.describe} stopped streaming: {message}",
        status_code=response.status_code,
        request_id=response.headers.get("x-request-id"),
        body=envelope,
        headers=response.headers,
        **fields,
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class ChunkStream(Generic[T]):
    """The chunks of a streamed answer, each a model parsed as it arrives, until `[DONE]`.

    The request is sent when the first chunk is asked for. Stopping early — `close()`,
    leaving a ``with`` block, or dropping the stream — closes the response, so its connection
    is not left half read.
    """

    def __init__(self, chunks: Generator[T, None, None]) -> None:
        self._chunks = chunks

    def __iter__(self) -> ChunkStream[T]:
        return self

    def __next__(self) -> T:
        return next(self._chunks)

    def close(self) -> None:
        self._chunks.close()

    def __enter__(self) -> ChunkStream[T]:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncChunkStream(Generic[T]):
    """`ChunkStream` for an event loop: ``async for``, ``aclose()`` and ``async with``."""

    def __init__(self, chunks: AsyncGenerator[T, None]) -> None:
        self._chunks = chunks

    def __aiter__(self) -> AsyncChunkStream[T]:
        return self

    async def __anext__(self) -> T:
        return await self._chunks.__anext__()

    async def aclose(self) -> None:
        await self._chunks.aclose()

    async def __aenter__(self) -> AsyncChunkStream[T]:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
