"""The only code that performs I/O: a sync and an async transport over the same exchange.

Each method is the same few lines in both classes: build the request, send it,
read the answer with the shared parsers, and after a failure ask the shared
`RetryPolicy` whether and when to try again. Everything else lives in `exchange`,
`calls` and `policy`.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import IO, Any, TypeVar

import httpx

from airflow_openai.client.calls import RECONCILE_SCAN, ApiCall
from airflow_openai.client.connections import StackedTransport
from airflow_openai.client.errors import NotFoundError, OpenAIError
from airflow_openai.client.exchange import (
    DOWNLOAD_CHUNK,
    build_request,
    check_complete,
    client_options,
    decode_json,
    parse_answer,
    parse_page,
    raise_for_error,
    tls_context,
    translated_transport_errors,
)
from airflow_openai.client.policy import CallAttempts, RetryPolicy
from airflow_openai.client.settings import ClientSettings
from airflow_openai.client.sink import Sink

T = TypeVar("T")


class SyncTransport:
    """Blocking transport for workers and sync hook methods."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        http_client: httpx.Client | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        self.settings = settings
        self.policy = policy or RetryPolicy(max_retries=settings.max_retries)
        self._client = http_client or httpx.Client(**client_options(settings))
        self._sleep = sleep

    def _retried(self, call: ApiCall[Any], attempt: Callable[[], T]) -> T:
        """`attempt()`, and again after each failure for as long as the policy says to retry."""
        for number in itertools.count(1):
            try:
                return attempt()
            except Exception as exc:
                delay = self.policy.retry_delay(number, exc, call.describe)
                if delay is None:
                    raise
            self._sleep(delay)
        raise AssertionError("unreachable")

    def _send(self, call: ApiCall[Any], *, stream: bool = False) -> httpx.Response:
        request = build_request(self._client, self.settings, call)
        with translated_transport_errors(request):
            response = self._client.send(request, stream=stream)
            if response.is_error or response.is_redirect:  # read whole: a stream is never left open
                response.read()
        raise_for_error(response)
        return response

    def _page(self, call: ApiCall[T]) -> tuple[Any, list[T]]:
        def attempt() -> tuple[Any, list[T]]:
            response = self._send(call)
            page = decode_json(call, response)
            return page, parse_page(call, page, response)

        return self._retried(call, attempt)

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
            return parse_answer(call, decode_json(call, response), response)

        try:
            return self._retried(call, attempt)
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

        def attempt() -> int:
            sink.restart()
            response = self._send(call, stream=True)
            try:
                with translated_transport_errors(response.request):
                    for chunk in response.iter_bytes(DOWNLOAD_CHUNK):
                        sink.write(chunk)
            finally:
                response.close()
            check_complete(call, response, sink.written, expected_bytes)
            return sink.written

        with sink.discarded_on_failure():
            return self._retried(call, attempt)

    def close(self) -> None:
        self._client.close()


class SharedAsyncClients:
    """One `httpx.AsyncClient` per event loop and endpoint, shared by every async transport in it.

    A triggerer runs hundreds of triggers in one loop; building a client costs tens of
    milliseconds of CPU (TLS setup) that would stall every other trigger, and separate
    clients cannot share connections. Credentials travel per request, so sharing is safe.
    Its connections are kept on a `ConnectionStack`, which costs the same per request
    however many are open (httpx's own pool walks them all on every request).
    """

    IN_FLIGHT = 100
    """Requests sent at once per shared client; more wait here, cheaply, rather than in httpx's pool."""

    def __init__(self) -> None:
        self._clients: dict[tuple[int, str, float], list[Any]] = {}

    @staticmethod
    def _key(settings: ClientSettings) -> tuple[int, str, float]:
        return (id(asyncio.get_running_loop()), settings.base_url, settings.timeout)

    def acquire(self, settings: ClientSettings) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        entry = self._clients.get(self._key(settings))
        if entry is None or entry[0].is_closed:
            stacked = StackedTransport(tls_context(), keep=self.IN_FLIGHT)
            client = httpx.AsyncClient(**client_options(settings), transport=stacked)
            entry = self._clients[self._key(settings)] = [client, 0, asyncio.Semaphore(self.IN_FLIGHT)]
        entry[1] += 1
        return entry[0], entry[2]

    async def release(self, settings: ClientSettings, client: httpx.AsyncClient) -> None:
        key = self._key(settings)
        entry = self._clients.get(key)
        if entry is None or entry[0] is not client:
            await client.aclose()
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del self._clients[key]
            await client.aclose()


shared_async_clients = SharedAsyncClients()


class AsyncTransport:
    """Non-blocking transport for triggers and concurrent fan-out; same calls, same policy.

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
    ) -> None:
        self.settings = settings
        self.policy = policy or RetryPolicy(max_retries=settings.max_retries)
        self._shared = http_client is None
        if http_client is None:
            self._client, self._in_flight = shared_async_clients.acquire(settings)
        else:
            self._client, self._in_flight = http_client, asyncio.Semaphore(SharedAsyncClients.IN_FLIGHT)
        self._sleep = sleep

    async def _retried(self, call: ApiCall[Any], attempt: Callable[[], Awaitable[T]]) -> T:
        """`await attempt()`, and again after each failure for as long as the policy says to retry."""
        for number in itertools.count(1):
            try:
                return await attempt()
            except Exception as exc:
                delay = self.policy.retry_delay(number, exc, call.describe)
                if delay is None:
                    raise
            await self._sleep(delay)
        raise AssertionError("unreachable")

    async def _send(self, call: ApiCall[Any], *, stream: bool = False) -> httpx.Response:
        request = build_request(self._client, self.settings, call)
        with translated_transport_errors(request):
            async with self._in_flight:
                response = await self._client.send(request, stream=stream)
            if response.is_error or response.is_redirect:
                await response.aread()
        raise_for_error(response)
        return response

    async def _page(self, call: ApiCall[T]) -> tuple[Any, list[T]]:
        async def attempt() -> tuple[Any, list[T]]:
            response = await self._send(call)
            page = decode_json(call, response)
            return page, parse_page(call, page, response)

        return await self._retried(call, attempt)

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
            return parse_answer(call, decode_json(call, response), response)

        try:
            return await self._retried(call, attempt)
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

    async def aclose(self) -> None:
        if self._shared:
            await shared_async_clients.release(self.settings, self._client)
        else:
            await self._client.aclose()
