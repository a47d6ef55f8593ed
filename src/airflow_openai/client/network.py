"""Sockets for the shared async client: httpcore's network layer on plain asyncio protocols.

httpcore reaches sockets through anyio by default, which wraps every read and write in
nested timeout scopes and checkpoints. For a triggerer's burst of small status polls that
wrapping cost about a fifth of each request's CPU. `AsyncioBackend` gives httpcore the same
streams straight from an `asyncio.Protocol`: a read returns what has already arrived and
only waits (with a timer, when there is a timeout) when nothing has; a write waits only when
the transport asks to pause. Errors map to httpcore's, as its own backends map them, so
httpx raises what it always raised.

Only the async client kept on a `ConnectionStack` uses it; proxies (from the environment)
and the sync client keep httpx's defaults.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterable
from typing import Any, cast

import httpcore

HAPPY_EYEBALLS_DELAY = 0.25
"""Seconds before trying a host's next address while one is still connecting (RFC 8305), as anyio
does: a host whose IPv6 route is broken is reached over IPv4 instead of timing out."""
READ_BUFFER_LIMIT = 1 << 20
"""Bytes held unread before the socket stops being read (read again below a quarter of it)."""


class _Connection(asyncio.Protocol):
    """What a socket delivered and how it ended, and whoever waits for more."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.received = bytearray()
        self.ended = False
        self.error: BaseException | None = None
        self.waiting: asyncio.Future[None] | None = None
        self.paused_reading = False
        self.paused_writing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.received += data
        if len(self.received) > READ_BUFFER_LIMIT and self.transport is not None:
            self.transport.pause_reading()
            self.paused_reading = True
        self._wake()

    def eof_received(self) -> bool:
        self.ended = True
        self._wake()
        return False  # close the transport: HTTP/1.1 has no use for a half-open connection

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.error = exc
        self._wake()

    def pause_writing(self) -> None:
        self.paused_writing = True

    def resume_writing(self) -> None:
        self.paused_writing = False
        self._wake()

    def _wake(self) -> None:
        if self.waiting is not None and not self.waiting.done():
            self.waiting.set_result(None)

    async def wait(self, timeout: float | None) -> None:
        """Until something arrives, the writer may go on, or the connection ends; `TimeoutError` past `timeout`."""
        loop = asyncio.get_running_loop()
        self.waiting = loop.create_future()
        timer = None if timeout is None else loop.call_later(timeout, _expire, self.waiting)
        try:
            await self.waiting
        finally:
            self.waiting = None
            if timer is not None:
                timer.cancel()


def _expire(waiting: asyncio.Future[None]) -> None:
    if not waiting.done():
        waiting.set_exception(TimeoutError())


class AsyncioStream(httpcore.AsyncNetworkStream):
    def __init__(self, connection: _Connection) -> None:
        self._connection = connection

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        connection = self._connection
        try:
            while not connection.received and not connection.ended:
                await connection.wait(timeout)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(exc) from exc
        received = connection.received
        if received:
            data = bytes(received[:max_bytes])
            del received[:max_bytes]
            if connection.paused_reading and len(received) < READ_BUFFER_LIMIT // 4:
                connection.paused_reading = False
                if connection.transport is not None:
                    connection.transport.resume_reading()
            return data
        if connection.error is not None:
            raise httpcore.ReadError(connection.error) from connection.error
        return b""  # the server closed the connection

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        connection = self._connection
        transport = connection.transport
        if transport is None or transport.is_closing():
            raise httpcore.WriteError(connection.error or "the connection is closed")
        transport.write(buffer)
        try:
            while connection.paused_writing and not connection.ended:
                await connection.wait(timeout)
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(exc) from exc
        if connection.ended and connection.error is not None:
            raise httpcore.WriteError(connection.error) from connection.error

    async def aclose(self) -> None:
        if self._connection.transport is not None:
            self._connection.transport.close()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        connection = self._connection
        assert connection.transport is not None
        loop = asyncio.get_running_loop()
        handshake = loop.start_tls(
            connection.transport, connection, ssl_context, server_hostname=server_hostname
        )
        try:
            transport = await asyncio.wait_for(handshake, timeout)
        except asyncio.TimeoutError as exc:
            connection.transport.close()
            raise httpcore.ConnectTimeout(exc) from exc
        except OSError as exc:  # ssl.SSLError is an OSError
            connection.transport.close()
            raise httpcore.ConnectError(exc) from exc
        if transport is None:  # the connection ended during the handshake
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        connection.transport = transport
        return self

    def get_extra_info(self, info: str) -> Any:
        connection = self._connection
        if info == "is_readable":  # an idle connection that has something to read was closed by the server
            return bool(connection.received) or connection.ended
        if connection.transport is None:
            return None
        names = {"ssl_object": "ssl_object", "client_addr": "sockname", "server_addr": "peername"}
        if info in names:
            return connection.transport.get_extra_info(names[info])
        if info == "socket":
            return connection.transport.get_extra_info("socket")
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        connection = _Connection()
        local = None if local_address is None else (local_address, 0)
        connecting = loop.create_connection(
            lambda: connection, host, port, local_addr=local, happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY
        )
        try:
            await asyncio.wait_for(connecting, timeout)
        except asyncio.TimeoutError as exc:
            raise httpcore.ConnectTimeout(exc) from exc
        except OSError as exc:
            raise httpcore.ConnectError(exc) from exc
        sock = cast(socket.socket, cast(asyncio.Transport, connection.transport).get_extra_info("socket"))
        for option in socket_options or ():
            sock.setsockopt(*option)
        return AsyncioStream(connection)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise NotImplementedError("the OpenAI API is reached over TCP")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
