"""The async client's connections: reused whatever the concurrency, never reused once closed or stale."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from airflow_openai.client.connections import ConnectionStack, StackedTransport
from airflow_openai.client.exchange import request_url, tls_context
from airflow_openai.client.transport import shared_async_clients
from tests.support.batches import BATCH_OBJECT
from tests.support.clients import hook_for
from tests.support.scripted_server import Reply

BATCH = BATCH_OBJECT


def _stack_of(client: httpx.AsyncClient) -> ConnectionStack:
    transport = client._transport  # the client's own transport (no proxy is configured in tests)
    assert isinstance(transport, StackedTransport)
    return transport.connections


async def test_polls_reuse_connections_however_many_are_in_flight(server):
    server.handle("GET", "/v1/batches/batch_abc", lambda seen: Reply(200, BATCH))
    hook = hook_for(server.base_url)
    async with hook:
        transport = await hook.atransport()
        stack = _stack_of(transport._client)
        for _ in range(5):
            await hook.aget_batch("batch_abc")
        assert stack.opened == 1 and stack.idle == 1
        await asyncio.gather(*(hook.aget_batch("batch_abc") for _ in range(30)))
        opened = stack.opened
        assert opened <= 30 and stack.idle == opened
        await asyncio.gather(*(hook.aget_batch("batch_abc") for _ in range(30)))
        assert stack.opened <= 30, "a second burst as large as the first reuses its connections"
    assert len(server.requests_to("/v1/batches/batch_abc")) == 65


async def test_a_connection_the_server_closed_is_not_reused(server):
    server.queue("GET", "/v1/batches/batch_abc", Reply(200, BATCH, headers={"connection": "close"}))
    server.handle("GET", "/v1/batches/batch_abc", lambda seen: Reply(200, BATCH))
    hook = hook_for(server.base_url)
    async with hook:
        stack = _stack_of((await hook.atransport())._client)
        await hook.aget_batch("batch_abc")
        assert stack.idle == 0
        await hook.aget_batch("batch_abc")
        assert stack.opened == 2 and stack.idle == 1


async def test_a_connection_the_server_dropped_while_idle_is_not_reused():
    async def answer_then_hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()  # keep-alive was promised; the server drops the connection anyway

    server = await asyncio.start_server(answer_then_hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = StackedTransport(tls_context(), keep=10)
    async with server, httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/", transport=transport) as client:
        (await client.get("first")).raise_for_status()
        assert transport.connections.idle == 1
        await asyncio.sleep(0.2)
        (await client.get("second")).raise_for_status()
        assert transport.connections.opened == 2, "the dropped connection was seen and replaced"


async def test_idle_connections_past_the_keepalive_expiry_are_closed(server):
    server.handle("GET", "/v1/batches/batch_abc", lambda seen: Reply(200, BATCH))
    transport = StackedTransport(tls_context(), keep=10, keepalive_expiry=0.05)
    async with httpx.AsyncClient(base_url=server.base_url + "/", transport=transport) as client:
        await asyncio.gather(*(client.get("batches/batch_abc") for _ in range(3)))
        assert transport.connections.idle == 3
        await asyncio.sleep(0.1)
        (await client.get("batches/batch_abc")).raise_for_status()
        assert transport.connections.idle == 1, "the stale ones are closed, a fresh one is kept"
        assert transport.connections.opened == 4
    assert transport.connections.idle == 0


async def test_a_failed_connection_is_dropped_and_the_error_is_a_connection_error():
    transport = StackedTransport(tls_context(), keep=10)
    async with httpx.AsyncClient(base_url="http://127.0.0.1:9/", transport=transport) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("batches/batch_abc")
        assert transport.connections.idle == 0


async def test_one_shared_client_per_loop_keeps_its_connections_on_a_stack(server):
    server.handle("GET", "/v1/batches/batch_abc", lambda seen: Reply(200, BATCH))
    hooks = [hook_for(server.base_url) for _ in range(3)]
    transports = [await hook.atransport() for hook in hooks]
    assert len({id(t._client) for t in transports}) == 1
    await asyncio.gather(*(hook.aget_batch("batch_abc") for hook in hooks))
    for hook in hooks:
        await hook.aclose()
    assert not shared_async_clients._clients


@pytest.mark.parametrize(
    "base", ["https://api.openai.com/v1", "http://127.0.0.1:8089/v1", "https://gateway.example/openai/v1/"]
)
def test_prebuilt_urls_are_the_ones_httpx_would_merge(base):
    client = httpx.Client(base_url=base.rstrip("/") + "/")
    for path in ("/batches", "/batches/batch_abc", "/files/a%2Fb%20c%3Fd%23e/content", "/organization/users"):
        merged = client.build_request("GET", path.lstrip("/"), params={"limit": 5}).url
        prebuilt = client.build_request(
            "GET", request_url(str(client.base_url), path), params={"limit": 5}
        ).url
        assert prebuilt == merged and prebuilt.raw_path == merged.raw_path
