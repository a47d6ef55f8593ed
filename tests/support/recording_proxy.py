"""A forwarding HTTP proxy on loopback that records what it forwards, for tests of proxy settings.

It takes requests in absolute form (`GET http://127.0.0.1:8089/v1/files HTTP/1.1`), as a
client sends plain-HTTP requests to a proxy, passes each on to its loopback target and the
answer back, and remembers `(method, url)`. Plain HTTP only (no CONNECT tunnels): the
emulator it stands in front of is plain HTTP on loopback. It forwards nowhere else.
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)
LOOPBACK = frozenset({"127.0.0.1", "localhost"})


class RecordingProxy:
    """`with RecordingProxy() as proxy:` serves on `proxy.url`; `proxy.seen` lists what went through."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Forwarder)
        self._server.daemon_threads = True
        self._server.proxy = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def record(self, method: str, url: str) -> None:
        with self._lock:
            self.seen.append((method, url))

    def paths(self) -> list[str]:
        with self._lock:
            return [urlsplit(url).path for _, url in self.seen]

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


class _Forwarder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps the client's connection alive, as a real proxy does

    def do_GET(self) -> None:
        self._forward()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = do_GET

    def _forward(self) -> None:
        target = urlsplit(self.path)
        if target.scheme != "http" or target.hostname not in LOOPBACK:
            self.send_error(502, "this test proxy forwards absolute http:// URLs to loopback only")
            return
        self.server.proxy.record(self.command, self.path)  # type: ignore[attr-defined]
        body = self._body()
        headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=60)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            upstream.request(self.command, path, body=body, headers=headers)
            answer = upstream.getresponse()
            content = answer.read()
        finally:
            upstream.close()
        self.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    def _body(self) -> bytes | None:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while size := int(self.rfile.readline().split(b";")[0].strip(), 16):
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                pass
            return b"".join(parts)
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else None

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads `seen`."""
