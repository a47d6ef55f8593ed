"""Real PNG files, written and read with the standard library (zlib, struct): the emulator's images.

An image is a grid of 8 × 8 coloured tiles, opaque RGBA, its colours drawn from a seed: the
same seed, the same picture, at any size the API offers. Rows repeat within a band of
tiles, so even 1792 × 1024 is written in milliseconds and compresses to a few kilobytes.
`header` reads what the service checks of an uploaded image: that it is a PNG, its size and
whether it has an alpha channel.
"""

from __future__ import annotations

import random
import struct
import zlib
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"
TILES = 8
RGBA = 6
COLOUR_TYPES = {0: "L", 2: "RGB", 3: "P", 4: "LA", 6: "RGBA"}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def tiles(width: int, height: int, seed: int) -> bytes:
    """A PNG of `width` × `height` pixels: 8 × 8 tiles of colours drawn from `seed`."""
    rng = random.Random(seed)
    palette = [
        bytes((rng.randrange(256), rng.randrange(256), rng.randrange(256), 255)) for _ in range(TILES * TILES)
    ]
    edges = [width * column // TILES for column in range(TILES + 1)]
    rows = []
    for band in range(TILES):
        row = b"\x00" + b"".join(
            palette[band * TILES + column] * (edges[column + 1] - edges[column]) for column in range(TILES)
        )
        rows.append(row * (height * (band + 1) // TILES - height * band // TILES))
    header = struct.pack(">IIBBBBB", width, height, 8, RGBA, 0, 0, 0)
    pixels = zlib.compress(b"".join(rows), 6)
    return SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")


@dataclass(frozen=True)
class Header:
    width: int
    height: int
    colour_type: int

    @property
    def mode(self) -> str:
        """The colour mode as the service names it in its refusals (`RGB`, `RGBA`, `L`...)."""
        return COLOUR_TYPES.get(self.colour_type, "unknown")


def header(data: bytes) -> Header | None:
    """The size and colour type of a PNG; None when `data` is not one."""
    if len(data) < 33 or not data.startswith(SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height, _depth, colour_type = struct.unpack(">IIBB", data[16:26])
    return Header(width, height, colour_type)
