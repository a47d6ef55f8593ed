"""Small real media files for the inference tests: a PNG and a WAV, made in memory."""

from __future__ import annotations

import io
import math
import struct
import wave
import zlib


def png(size: int = 4, alpha: int = 255) -> bytes:
    """A real RGBA PNG of `size`×`size` pixels."""
    raw = b"".join(b"\x00" + bytes([200, 80, 20, alpha]) * size for _ in range(size))

    def part(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + part(b"IHDR", header) + part(b"IDAT", zlib.compress(raw)) + part(b"IEND", b"")
    )


def wav(seconds: float = 1.0) -> bytes:
    """A real mono 16 kHz WAV of a tone."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        frames = int(16000 * seconds)
        out.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(n / 10))) for n in range(frames)))
    return buffer.getvalue()
