"""Faults that strike after the service has acted: the request is handled, its answer is lost or cut.

These are the failures a client cannot tell apart from "nothing happened": the batch or
file exists on the server, yet the client saw a reset connection, a timeout, a 5xx or a
body that ends early. The Gate hands a request here when its fault `acts_first`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from airflow_openai.emulator.core.errors import EmulatorError
from airflow_openai.emulator.core.faults import Fault

Send = Any


class AnswerLost(ConnectionAbortedError):
    """Raised to make the server close the connection without a complete answer."""


async def act_then_fault(app: Any, scope: dict[str, Any], receive: Any, send: Send, fault: Fault) -> None:
    """Let `app` handle the request, then deliver its answer the way `fault` says."""
    if fault.truncate_after is not None:
        await app(scope, receive, _Truncating(send, fault.truncate_after, fault.truncate_framing))
        return
    if fault.act_after_ms:
        await _act_late(app, scope, receive, fault.act_after_ms)
        return
    held: list[dict[str, Any]] = []

    async def hold(message: dict[str, Any]) -> None:
        held.append(message)

    await app(scope, receive, hold)
    if fault.latency_ms:
        await asyncio.sleep(fault.latency_ms / 1000)
    if fault.drop:
        await drop_mid_answer(send)
    if fault.status is not None:
        await send_error(send, fault_error(fault))
        return
    for message in held:  # only held back: the client may have given up by now
        await send(message)


async def _act_late(app: Any, scope: dict[str, Any], receive: Any, delay_ms: int) -> None:
    """Read the whole request, wait, then act on it: a service still busy when its client gave up.

    The answer goes nowhere (the client is gone); what the request made stays made.
    """
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body"):
            break
    await asyncio.sleep(delay_ms / 1000)
    replay = iter(messages)

    async def replayed() -> dict[str, Any]:
        return next(replay, {"type": "http.disconnect"})

    async def nowhere(message: dict[str, Any]) -> None:
        return None

    await app(scope, replayed, nowhere)


def fault_error(fault: Fault) -> EmulatorError:
    """The error answer a fault's `status` stands for, with `Retry-After` and rate-limit headers."""
    assert fault.status is not None
    headers = dict(fault.headers)
    if fault.retry_after is not None:
        headers["retry-after"] = f"{fault.retry_after:g}"
    if fault.status == 429:
        headers.setdefault("x-ratelimit-limit-requests", "60")
        headers.setdefault("x-ratelimit-remaining-requests", "0")
        headers.setdefault("x-ratelimit-reset-requests", f"{fault.retry_after or 1:g}s")
    kind = (
        "requests"
        if fault.status == 429
        else ("server_error" if fault.status >= 500 else "invalid_request_error")
    )
    return EmulatorError(fault.status, fault.message, type=kind, headers=headers)


async def send_error(send: Send, error: EmulatorError) -> None:
    """Answer with `error` in the OpenAI envelope, before any route ran."""
    payload = json.dumps(error.envelope()).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


async def drop_mid_answer(send: Send) -> None:
    """Start an answer, send one byte of it, and close the connection."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]})
    await send({"type": "http.response.body", "body": b"{", "more_body": True})
    raise AnswerLost("connection dropped by an injected fault")


class _Truncating:
    """An ASGI `send` that lets `limit` bytes of the body through and then ends the answer."""

    def __init__(self, send: Send, limit: int, framing: str) -> None:
        self._send = send
        self._left = limit
        self._limit = limit
        self._framing = framing
        self._done = False

    async def __call__(self, message: dict[str, Any]) -> None:
        if self._done:
            return
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]
            length = next(
                (int(v) for k, v in message.get("headers", []) if k.lower() == b"content-length"), None
            )
            if length is not None and length <= self._limit:  # nothing to cut: the answer goes as it is
                self._left = length + 1
                headers = list(message.get("headers", []))
            elif self._framing == "length":
                headers.append((b"content-length", str(self._limit).encode()))
            await self._send({**message, "headers": headers})
            return
        body: bytes = message.get("body", b"")
        piece, self._left = body[: self._left], max(0, self._left - len(body))
        more = message.get("more_body", False)
        if self._left > 0 or (not more and len(body) <= len(piece)):
            await self._send({**message, "body": piece})
            self._done = not more
            return
        self._done = True
        if self._framing in ("length", "clean"):
            await self._send({"type": "http.response.body", "body": piece, "more_body": False})
            return
        if piece:
            await self._send({"type": "http.response.body", "body": piece, "more_body": True})
        raise AnswerLost("answer cut short by an injected fault")
