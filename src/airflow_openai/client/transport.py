"""A sync and an async transport over the same exchange: httpx moves the bytes, tenacity retries.

Each method is the same few lines in both classes: build the request, send it through
httpx, read the answer with the shared parsers; a failed attempt is retried through tenacity
(`RetryPolicy.call` / `acall`), and a create whose answer was lost looks for what
it made first (`CallAttempts`). Streamed answers (`stream`) are sent the same way and read
line by line into events (`sse`); their chunks are the caller's as they arrive, so a failure
among them is raised, never retried. Everything else lives in `exchange`, `calls`,
`attempts`, `policy` and `sse`.

With workload identity (`settings.workload_identity`), each request carries the access token
of the connection's `TokenSource`; a 401 drops that token and the request is sent once more
with a fresh one, inside the same attempt: the retry policy sees only the second answer.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import IO, Any, TypeVar

import httpx

from airflow_openai.client.attempts import CallAttempts
from airflow_openai.client.calls import RECONCILE_SCAN, ApiCall
from airflow_openai.client.errors import NotFoundError, OpenAIError
from airflow_openai.client.exchange import (
    DOWNLOAD_CHUNK,
    answer_of,
    build_request,
    check_complete,
    client_options,
    decode_json,
    parse_answer,
    parse_page,
    raise_for_error,
    translated_transport_errors,
    uses_access_token,
)
from airflow_openai.client.identity import TokenSource, token_source_for
from airflow_openai.client.loop_clients import IN_FLIGHT, SharedClient, loop_clients
from airflow_openai.client.policy import RetryPolicy, retried_download
from airflow_openai.client.rate_limits import LatestRateLimits
from airflow_openai.client.settings import ClientSettings
from airflow_openai.client.sink import Sink
from airflow_openai.client.sse import EventDecoder, check_event_stream, chunk_of, cut_short

T = TypeVar("T")


def token_source_of(settings: ClientSettings) -> TokenSource | None:
    """The process's token source for the settings' workload identity, or None with an API key."""
    if settings.workload_identity is None:
        return None
    return token_source_for(settings.workload_identity)


class SyncTransport:
    """Blocking transport for workers and sync hook methods."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        http_client: httpx.Client | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        rate_limits: LatestRateLimits | None = None,
    ) -> None:
        self.settings = settings
        self.policy = policy or RetryPolicy(max_retries=settings.max_retries)
        self._client = http_client or httpx.Client(**client_options())
        self._sleep = sleep
        self.rate_limits = rate_limits or LatestRateLimits()
        self.token_source = token_source_of(settings)

    def _send(self, call: ApiCall[Any], *, stream: bool = False) -> httpx.Response:
        tokens = self.token_source if uses_access_token(self.settings, call) else None
        token = tokens.token() if tokens is not None else None
        response = self._send_once(call, token, stream)
        if tokens is not None and token is not None and response.status_code == 401:
            tokens.invalidate(token)  # expired or revoked early: once more with a fresh one
            response = self._send_once(call, tokens.token(), stream)
        self.rate_limits.observe(response.headers)
        raise_for_error(response, self.settings.base_url)
        return response

    def _send_once(self, call: ApiCall[Any], token: str | None, stream: bool) -> httpx.Response:
        request = build_request(self._client, self.settings, call, token)
        with translated_transport_errors(request):
            response = self._client.send(request, stream=stream)
            if response.is_error or response.is_redirect:  # read whole: a stream is never left open
                response.read()
        return response

    def _page(self, call: ApiCall[T]) -> tuple[Any, list[T]]:
        def attempt() -> tuple[Any, list[T]]:
            response = self._send(call)
            page = decode_json(call, response)
            return page, parse_page(call, page, response)

        return self.policy.call(call.describe, attempt, self._sleep)

    def request(self, call: ApiCall[T]) -> T:
        attempts = CallAttempts(call)

        def attempt() -> T:
            if attempts.look_first:
                found = self._settled_look_up(call, attempts)
                if found is not None:
                    return found
            try:
                response = self._send(call)
            except OpenAIError as exc:
                attempts.failed(exc)
                raise
            return parse_answer(call, answer_of(call, response), response)

        try:
            return self.policy.call(call.describe, attempt, self._sleep)
        except OpenAIError as exc:
            if not attempts.worth_a_last_look(exc):
                raise
            found = self._settled_look_up(call, attempts, quiet=True)
            if found is None:
                raise
            return found

    def _settled_look_up(self, call: ApiCall[T], attempts: CallAttempts, quiet: bool = False) -> T | None:
        """Look for what the lost create made, again after each of the policy's settle pauses."""
        for pause in (*self.policy.settle, None):
            try:
                found = self._look_up(call, attempts.sent_at)
            except OpenAIError:
                if not quiet:
                    raise
                return None
            if found is not None:
                return attempts.found(found)
            if pause is None:
                return None
            self._sleep(pause)
        raise AssertionError("unreachable")

    def _look_up(self, call: ApiCall[T], sent_at: float) -> T | None:
        reconcile = call.reconcile
        assert reconcile is not None
        lookup = reconcile.lookup
        try:
            items = self.paginate(lookup) if lookup.paginated else iter([self.request(lookup)])
            for item in itertools.islice(items, RECONCILE_SCAN):
                found = reconcile.pick(item, sent_at)
                if found is not None:
                    return found
        except NotFoundError:
            pass
        return None

    def paginate(self, call: ApiCall[T]) -> Iterator[T]:
        next_call: ApiCall[T] | None = call
        while next_call is not None:
            page, items = self._page(next_call)
            yield from items
            next_call = next_call.next_page(page)

    def download(self, call: ApiCall[Any], destination: IO[bytes], expected_bytes: int | None = None) -> int:
        """Stream the answer's body into `destination`; with `expected_bytes`, a body of any other
        length is an `IncompleteDownloadError`, retried from the start like a dropped connection."""
        sink = Sink(destination)
        attempts = CallAttempts(call)

        def attempt() -> int:
            sink.restart()
            try:
                response = self._send(call, stream=True)
                try:
                    with translated_transport_errors(response.request):
                        for chunk in response.iter_bytes(DOWNLOAD_CHUNK):
                            sink.write(chunk)
                finally:
                    response.close()
                check_complete(call, response, sink.written, expected_bytes)
            except OpenAIError as exc:
                attempts.failed(exc)  # a POST's answer (speech) lost on the way is not asked again
                raise
            return sink.written

        with sink.discarded_on_failure():
            return self.policy.call(call.describe, attempt, self._sleep, retried_download)

    def stream(self, call: ApiCall[T]) -> Generator[T, None, None]:
        """The answer's events as the call's models, until `[DONE]`; the response is closed however
        the iteration ends. Sending is retried as for `request` (a lost answer is not sent again);
        once events have arrived, a failure is raised to the caller."""
        response = self._open(call)
        try:
            check_event_stream(call, response)
            decoder = EventDecoder()
            with translated_transport_errors(response.request):
                for line in response.iter_lines():
                    event = decoder.feed(line)
                    if event is None:
                        continue
                    if event.done:
                        return
                    yield chunk_of(call, event, response)
            raise cut_short(call, response)
        finally:
            response.close()

    def _open(self, call: ApiCall[Any]) -> httpx.Response:
        """Send `call` and return its answer with the body unread, retried as `request` retries."""
        attempts = CallAttempts(call)

        def attempt() -> httpx.Response:
            try:
                return self._send(call, stream=True)
            except OpenAIError as exc:
                attempts.failed(exc)
                raise

        return self.policy.call(call.describe, attempt, self._sleep)

    def close(self) -> None:
        self._client.close()


class AsyncTransport:
    """Non-blocking transport for triggers and concurrent fan-out; same calls, same policy.

    Unless given a client, it sends through its event loop's shared one (`loop_clients`).
    It has no `download`: writing a file blocks whatever the transport, so the hook's
    `adownload_file` runs the sync download in a worker thread instead.
    """

    def __init__(
        self,
        settings: ClientSettings,
        *,
        http_client: httpx.AsyncClient | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        rate_limits: LatestRateLimits | None = None,
    ) -> None:
        self.settings = settings
        self.policy = policy or RetryPolicy(max_retries=settings.max_retries)
        self.rate_limits = rate_limits or LatestRateLimits()
        self._shared: SharedClient | None = None
        if http_client is None:
            self._shared = loop_clients.acquire()
            self._client, self._in_flight = self._shared.client, self._shared.in_flight
        else:
            self._client, self._in_flight = http_client, asyncio.Semaphore(IN_FLIGHT)
        self._sleep = sleep
        self.token_source = token_source_of(settings)

    async def _send(self, call: ApiCall[Any], *, stream: bool = False) -> httpx.Response:
        tokens = self.token_source if uses_access_token(self.settings, call) else None
        token = await tokens.atoken() if tokens is not None else None
        response = await self._send_once(call, token, stream)
        if tokens is not None and token is not None and response.status_code == 401:
            tokens.invalidate(token)  # as `SyncTransport._send`
            response = await self._send_once(call, await tokens.atoken(), stream)
        self.rate_limits.observe(response.headers)
        raise_for_error(response, self.settings.base_url)
        return response

    async def _send_once(self, call: ApiCall[Any], token: str | None, stream: bool) -> httpx.Response:
        request = build_request(self._client, self.settings, call, token)
        with translated_transport_errors(request):
            async with self._in_flight:
                response = await self._client.send(request, stream=stream)
            if response.is_error or response.is_redirect:
                await response.aread()
        return response

    async def _page(self, call: ApiCall[T]) -> tuple[Any, list[T]]:
        async def attempt() -> tuple[Any, list[T]]:
            response = await self._send(call)
            page = decode_json(call, response)
            return page, parse_page(call, page, response)

        return await self.policy.acall(call.describe, attempt, self._sleep)

    async def request(self, call: ApiCall[T]) -> T:
        attempts = CallAttempts(call)

        async def attempt() -> T:
            if attempts.look_first:
                found = await self._settled_look_up(call, attempts)
                if found is not None:
                    return found
            try:
                response = await self._send(call)
            except OpenAIError as exc:
                attempts.failed(exc)
                raise
            return parse_answer(call, answer_of(call, response), response)

        try:
            return await self.policy.acall(call.describe, attempt, self._sleep)
        except OpenAIError as exc:
            if not attempts.worth_a_last_look(exc):
                raise
            found = await self._settled_look_up(call, attempts, quiet=True)
            if found is None:
                raise
            return found

    async def _settled_look_up(
        self, call: ApiCall[T], attempts: CallAttempts, quiet: bool = False
    ) -> T | None:
        """As `SyncTransport._settled_look_up`."""
        for pause in (*self.policy.settle, None):
            try:
                found = await self._look_up(call, attempts.sent_at)
            except OpenAIError:
                if not quiet:
                    raise
                return None
            if found is not None:
                return attempts.found(found)
            if pause is None:
                return None
            await self._sleep(pause)
        raise AssertionError("unreachable")

    async def _look_up(self, call: ApiCall[T], sent_at: float) -> T | None:
        reconcile = call.reconcile
        assert reconcile is not None
        lookup = reconcile.lookup
        try:
            if not lookup.paginated:
                return reconcile.pick(await self.request(lookup), sent_at)
            seen = 0
            async for item in self.paginate(lookup):
                found = reconcile.pick(item, sent_at)
                seen += 1
                if found is not None or seen >= RECONCILE_SCAN:
                    return found
        except NotFoundError:
            pass
        return None

    async def paginate(self, call: ApiCall[T]) -> AsyncIterator[T]:
        next_call: ApiCall[T] | None = call
        while next_call is not None:
            page, items = await self._page(next_call)
            for item in items:
                yield item
            next_call = next_call.next_page(page)

    async def stream(self, call: ApiCall[T]) -> AsyncGenerator[T, None]:
        """As `SyncTransport.stream`."""
        response = await self._open(call)
        try:
            check_event_stream(call, response)
            decoder = EventDecoder()
            with translated_transport_errors(response.request):
                async for line in response.aiter_lines():
                    event = decoder.feed(line)
                    if event is None:
                        continue
                    if event.done:
                        return
                    yield chunk_of(call, event, response)
            raise cut_short(call, response)
        finally:
            await response.aclose()

    async def _open(self, call: ApiCall[Any]) -> httpx.Response:
        """As `SyncTransport._open`."""
        attempts = CallAttempts(call)

        async def attempt() -> httpx.Response:
            try:
                return await self._send(call, stream=True)
            except OpenAIError as exc:
                attempts.failed(exc)
                raise

        return await self.policy.acall(call.describe, attempt, self._sleep)

    async def aclose(self) -> None:
        if self._shared is not None:
            shared, self._shared = self._shared, None
            await loop_clients.release(shared)
        else:
            await self._client.aclose()
