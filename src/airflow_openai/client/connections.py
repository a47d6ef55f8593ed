"""Kept-alive connections for the shared async client: taken and given back in constant time.

A triggerer sends hundreds of status polls at once through one `httpx.AsyncClient`. httpx's
pool (httpcore 1.0) walks every connection, and probes the socket of each idle one, each
time a request starts or ends, and closes any connection that falls idle while more than
`max_keepalive_connections` are open: with 100 polls in flight, a round of 1,000 spent more
CPU on the pool than on the requests, and opened a new connection for almost every one.

`ConnectionStack` keeps idle connections on a stack per origin instead: a request takes the
most recently used one (probing that one only), or opens a new one; a finished response
gives its connection back. Connections idle past the keep-alive expiry are closed as the
stack is used. It sets no limit of its own: the `AsyncTransport` semaphore already bounds
requests in flight, and so the connections open. Its sockets are plain asyncio ones
(`network.AsyncioBackend`).
"""

from __future__ import annotations

import ssl
import time
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator
from types import TracebackType
from typing import cast

import httpcore
import httpx

from airflow_openai.client.network import AsyncioBackend

KEEPALIVE_EXPIRY = 5.0
"""Seconds an idle connection is kept for reuse (httpx's default)."""

_Key = tuple[bytes, bytes, int]


class ConnectionStack:
    """An httpcore request interface over HTTP/1.1 connections reused last in, first out."""

    def __init__(
        self, ssl_context: ssl.SSLContext, *, keep: int, keepalive_expiry: float = KEEPALIVE_EXPIRY
    ) -> None:
        self._ssl_context = ssl_context
        self._keep = keep
        self._keepalive_expiry = keepalive_expiry
        self._network = AsyncioBackend()
        self._idle: dict[_Key, deque[tuple[float, httpcore.AsyncHTTPConnection]]] = {}
        self._busy: set[httpcore.AsyncHTTPConnection] = set()
        self.opened = 0
        """Connections made so far (each one is a TCP, and maybe TLS, handshake)."""

    @property
    def idle(self) -> int:
        """Connections open and waiting for a request."""
        return sum(len(stack) for stack in self._idle.values())

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        origin = request.url.origin
        while True:
            connection = await self._take(origin)
            self._busy.add(connection)
            try:
                response = await connection.handle_async_request(request)
            except httpcore.ConnectionNotAvailable:  # closed under us after it was taken: use another
                self._busy.discard(connection)
                continue
            except BaseException:
                await self._give_back(connection)
                raise
            return httpcore.Response(
                status=response.status,
                headers=response.headers,
                content=_GivenBackOnClose(cast(AsyncIterable[bytes], response.stream), connection, self),
                extensions=response.extensions,
            )

    async def _take(self, origin: httpcore.Origin) -> httpcore.AsyncHTTPConnection:
        stack = self._idle.get((origin.scheme, origin.host, origin.port))
        while stack:
            _, connection = stack.pop()
            if connection.is_available() and not connection.has_expired():
                return connection
            await connection.aclose()
        self.opened += 1
        return httpcore.AsyncHTTPConnection(
            origin,
            ssl_context=self._ssl_context,
            keepalive_expiry=self._keepalive_expiry,
            network_backend=self._network,
        )

    async def _give_back(self, connection: httpcore.AsyncHTTPConnection) -> None:
        """Keep a connection that can take another request; close any other, and the stale ones."""
        self._busy.discard(connection)
        origin = connection._origin  # httpcore keeps it only there
        stack = self._idle.setdefault((origin.scheme, origin.host, origin.port), deque())
        now = time.monotonic()
        while stack and now - stack[0][0] > self._keepalive_expiry:
            await stack.popleft()[1].aclose()
        if connection.is_available() and len(stack) < self._keep:
            stack.append((now, connection))
        elif not connection.is_closed():
            await connection.aclose()

    async def aclose(self) -> None:
        connections = [connection for stack in self._idle.values() for _, connection in stack]
        connections.extend(self._busy)
        self._idle.clear()
        self._busy.clear()
        for connection in connections:
            await connection.aclose()

    async def __aenter__(self) -> ConnectionStack:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.aclose()


class _GivenBackOnClose:
    """A response body that gives its connection back to the stack once it is closed."""

    def __init__(
        self, stream: AsyncIterable[bytes], connection: httpcore.AsyncHTTPConnection, stack: ConnectionStack
    ) -> None:
        self._stream = stream
        self._connection = connection
        self._stack = stack
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for part in self._stream:
                yield part
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self._stream, "aclose", None)
            if close is not None:
                await close()
        finally:
            await self._stack._give_back(self._connection)


class StackedTransport(httpx.AsyncHTTPTransport):
    """httpx's async transport (request and error mapping unchanged) over a `ConnectionStack`."""

    def __init__(
        self, ssl_context: ssl.SSLContext, *, keep: int, keepalive_expiry: float = KEEPALIVE_EXPIRY
    ) -> None:
        super().__init__(verify=ssl_context)
        self.connections = ConnectionStack(ssl_context, keep=keep, keepalive_expiry=keepalive_expiry)
        self._pool = self.connections  # type: ignore[assignment]  # the one attribute httpx sends through
