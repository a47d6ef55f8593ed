"""A real HTTP server on loopback that answers from a script, for tests of the HTTP core.

Tests queue responses per route (or a default answer) and read back the requests the
server saw, headers and bodies included. It runs uvicorn in a thread on a free port.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] | None = None
    drop: bool = False


Handler = Callable[[Seen], Reply]


class ScriptedServer:
    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self._script: dict[tuple[str, str], deque[Reply]] = {}
        self._handlers: dict[tuple[str, str], Handler] = {}
        self._lock = threading.Lock()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        config = uvicorn.Config(
            self._app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            interface="asgi3",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> ScriptedServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("scripted server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(5)

    def reset(self) -> None:
        with self._lock:
            self.seen.clear()
            self._script.clear()
            self._handlers.clear()

    def queue(self, method: str, path: str, *replies: Reply) -> None:
        """Answer the next requests to `method path` with `replies`, in order."""
        with self._lock:
            self._script.setdefault((method, path), deque()).extend(replies)

    def handle(self, method: str, path: str, handler: Handler) -> None:
        """Answer every request to `method path` (once its queue is empty) with `handler`."""
        with self._lock:
            self._handlers[(method, path)] = handler

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

    def _reply_for(self, seen: Seen) -> Reply:
        with self._lock:
            queued = self._script.get((seen.method, seen.path))
            if queued:
                return queued.popleft()
            handler = self._handlers.get((seen.method, seen.path))
        if handler is not None:
            return handler(seen)
        return Reply(
            404,
            {
                "error": {
                    "message": f"no script for {seen.method} {seen.path}",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": None,
                }
            },
        )

    async def _app(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        seen = Seen(
            scope["method"], scope["path"], scope["query_string"].decode(), headers, body, time.monotonic()
        )
        with self._lock:
            self.seen.append(seen)
        reply = self._reply_for(seen)
        if reply.drop:
            # Promise a body, send part of it, then fail: uvicorn closes the connection mid-response.
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]}
            )
            await send({"type": "http.response.body", "body": b"{", "more_body": True})
            raise ConnectionResetError("dropped on purpose")
        payload = reply.body if reply.body is not None else json.dumps(reply.json).encode()
        out_headers = {
            "content-type": "application/json",
            "x-request-id": f"req_{len(self.seen)}",
            **reply.headers,
        }
        raw_headers = [(k.encode(), v.encode()) for k, v in out_headers.items()]
        await send({"type": "http.response.start", "status": reply.status, "headers": raw_headers})
        if reply.chunks is not None:
            for chunk in reply.chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        else:
            await send({"type": "http.response.body", "body": payload})


def error_body(
    message: str, type: str = "invalid_request_error", code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}
