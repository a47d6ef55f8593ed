"""The async client's sockets (asyncio protocols under httpcore): TLS, timeouts, large bodies both
ways, and failures that end as the errors httpx and this provider have always raised."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import ssl
import tempfile
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from airflow_openai.client import APIConnectionError, APITimeoutError
from airflow_openai.client.connections import StackedTransport
from airflow_openai.client.exchange import tls_context
from tests.support.clients import hook_for
from tests.support.scripted_server import Reply

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _serve(handler: Handler, tls: ssl.SSLContext | None = None) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    return server, f"{'https' if tls else 'http'}://127.0.0.1:{port}/"


async def _answer(writer: asyncio.StreamWriter, body: bytes) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
    await writer.drain()


def _client(base_url: str, ssl_context: ssl.SSLContext | None = None, **timeouts: float) -> httpx.AsyncClient:
    transport = StackedTransport(ssl_context or tls_context(), keep=10)
    return httpx.AsyncClient(base_url=base_url, transport=transport, timeout=httpx.Timeout(5.0, **timeouts))


def _self_signed() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for 127.0.0.1, and a client context that trusts only it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.NamedTemporaryFile() as cert_file, tempfile.NamedTemporaryFile() as key_file:
        cert_file.write(pem)
        key_file.write(key_pem)
        cert_file.flush()
        key_file.flush()
        server.load_cert_chain(cert_file.name, key_file.name)
    client = ssl.create_default_context(cadata=pem.decode())
    return server, client


async def test_tls_answers_and_an_untrusted_certificate_is_a_connect_error():
    async def hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError):  # until the client hangs up
            while await reader.readuntil(b"\r\n\r\n"):
                await _answer(writer, b'{"ok": true}')

    server_tls, client_tls = _self_signed()
    server, url = await _serve(hello, tls=server_tls)
    async with server:
        async with _client(url, client_tls) as client:
            first, second = (await client.get("a")), (await client.get("b"))
            assert first.json() == second.json() == {"ok": True}
            assert client._transport.connections.opened == 1  # type: ignore[attr-defined]
        async with _client(url) as client:  # the system's CAs do not know this certificate
            with pytest.raises(httpx.ConnectError):
                await client.get("a")


async def test_large_bodies_arrive_whole_both_ways():
    size = 3 << 20

    async def echo_length_then_big_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        await asyncio.sleep(0.2)  # the client's writes back up meanwhile
        await reader.readexactly(length)
        await _answer(writer, str(length).encode().ljust(size, b" "))

    server, url = await _serve(echo_length_then_big_body)
    async with server, _client(url) as client:
        response = await client.post("upload", content=b"x" * (8 << 20))
        assert len(response.content) == size and response.content.split()[0] == str(8 << 20).encode()


async def test_a_silent_server_is_a_read_timeout_and_an_unread_upload_a_write_timeout():
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    server, url = await _serve(never_answer)
    async with server:
        async with _client(url, read=0.2) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.get("a")
        async with _client(url, write=0.2) as client:
            with pytest.raises(httpx.WriteTimeout):
                await client.post("upload", content=b"x" * (64 << 20))


async def test_async_failures_are_the_provider_errors_with_whether_the_request_was_sent(server):
    async with hook_for("http://127.0.0.1:9/v1", max_retries=0) as hook:  # closed: its client is shared
        with pytest.raises(APIConnectionError) as refused:
            await hook.aget_batch("x")
    assert not refused.value.sent

    server.handle("GET", "/v1/batches/cut", lambda seen: Reply(drop=True))
    async with hook_for(server.base_url, max_retries=1) as hook:
        with pytest.raises(APIConnectionError) as cut:
            await hook.aget_batch("cut")
    assert cut.value.sent and len(server.requests_to("/v1/batches/cut")) == 2

    def slow(seen: object) -> Reply:
        time.sleep(0.6)
        return Reply(200, {})

    server.handle("GET", "/v1/batches/slow", slow)
    async with hook_for(server.base_url, max_retries=0, timeout=0.2) as hook:
        with pytest.raises(APITimeoutError) as slow:
            await hook.aget_batch("slow")
    assert slow.value.sent
