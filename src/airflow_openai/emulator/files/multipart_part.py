"""Receiving an upload part at disk speed: the multipart body is streamed straight into the part's file.

A part request holds one field, `data`. Instead of a general multipart parser (which
hands every 64 KB chunk to a thread to be written), the body is written as it arrives,
the field's header block is skipped and the closing boundary cut off at the end.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from airflow_openai.emulator.core.errors import bad_request

_BOUNDARY = re.compile(r"boundary=\"?([^\";]+)\"?")
WRITE_BLOCK = 4 << 20
"""Bytes gathered before each write: the network hands over ~64 KB at a time, and writes that
small cost several times more per byte than megabyte writes. The pieces go out in one
`writev`, so gathering them copies nothing."""
MAX_PIECES = 512
"""Pieces per `writev`, below the kernel's limit of 1024."""
_DATA_FIELD = re.compile(rb'content-disposition:\s*form-data;\s*name="data"', re.IGNORECASE)


async def receive_single_field(request: Any, target: Path, limit: int) -> int:
    """Write the `data` field of a multipart request to `target`; returns its size in bytes."""
    match = _BOUNDARY.search(request.headers.get("content-type", ""))
    if not match:
        raise bad_request("the body must be multipart/form-data with a 'data' field", param="data")
    closing = f"\r\n--{match.group(1)}--".encode()
    head: bytes | None = b""
    written = 0
    pending: list[bytes] = []
    pending_size = 0
    with target.open("wb", buffering=0) as sink:
        async for chunk in request.stream():
            if head is not None:
                head += chunk
                end = head.find(b"\r\n\r\n")
                if end < 0:
                    if len(head) > 64 * 1024:
                        raise bad_request("the multipart header of the part is too long", param="data")
                    continue
                if not _DATA_FIELD.search(head[:end]):
                    raise bad_request("a part request holds one field, 'data'", param="data")
                chunk, head = head[end + 4 :], None
            written += len(chunk)
            if written > limit + 4096:
                raise bad_request(f"A part may hold at most {limit} bytes", param="data")
            pending.append(chunk)
            pending_size += len(chunk)
            if pending_size >= WRITE_BLOCK or len(pending) >= MAX_PIECES:
                write_all(sink.fileno(), pending)
                pending_size = 0
        if head is not None:
            raise bad_request(
                "Missing required parameter: 'data'", param="data", code="missing_required_parameter"
            )
        write_all(sink.fileno(), pending)
        # The body ends with the closing boundary (and maybe a line break): cut it off.
        tail_size = min(written, len(closing) + 4)
    with target.open("r+b") as part:
        part.seek(written - tail_size)
        tail = part.read(tail_size)
        cut = tail.rfind(closing)
        if cut < 0:
            raise bad_request("the multipart body has no closing boundary", param="data")
        size = written - tail_size + cut
        part.truncate(size)
    if size > limit:
        raise bad_request(f"A part may hold at most {limit} bytes; got {size}", param="data")
    return size


def write_all(fd: int, pieces: list[bytes]) -> None:
    """Write `pieces` in order with as few system calls as the kernel allows; empties the list."""
    views = [memoryview(piece) for piece in pieces if piece]
    while views:
        count = os.writev(fd, views)
        while views and count >= len(views[0]):
            count -= len(views[0])
            views.pop(0)
        if count:
            views[0] = views[0][count:]
    pieces.clear()
