"""Every dashboard page as a browser draws it: where Debian's Chromium is installed (`/usr/bin/chromium`),
each page of `test_dashboard_pages.build_scenes` is screenshot headless and the picture judged: it exists,
is not tiny, is not one colour nearly everywhere (a blank page), and starts with the header bar in the
stylesheet's colour (so the page rendered and its stylesheet loaded, rather than an error page). The
fine-tuning page must show the loss chart's lines in their colours.

The PNGs go to a temporary directory, or to `$DASHBOARD_SHOTS` when it names one (to look at them).
Without Chromium the test is skipped, unless `$REQUIRE_CHROMIUM` is set (CI, where it is installed).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.emulator.test_dashboard_pages import build_scenes

CHROMIUM = Path("/usr/bin/chromium")

WIDTH, HEIGHT = 1200, 900
MIN_BYTES = 8_000
MOST_COMMON_AT_MOST = 0.97
"""A page whose commonest colour covers more of it than this is blank."""
HEADER = (0x1D, 0x24, 0x33)
"""The header bar's colour (`--ink` in `core.dashboard_style`)."""
TRAIN, VALID = (0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E)
"""The loss chart's line colours (`core.loss_chart`)."""


def shoot(url: str, png: Path, profile: Path) -> subprocess.CompletedProcess:
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--screenshot={png}",
        f"--window-size={WIDTH},{HEIGHT}",
        url,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def decode_png(data: bytes) -> tuple[int, int, list[bytes], int]:
    """Width, height, the unfiltered rows and the bytes per pixel of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, idat, header = 8, bytearray(), b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unexpected PNG format {depth=} {colour=}"
    step = 3 if colour == 2 else 4
    raw = zlib.decompress(bytes(idat))
    stride = width * step
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(kind, line, previous, step)
        rows.append(bytes(line))
        previous = line
    return width, height, rows, step


def _unfilter(kind: int, line: bytearray, above: bytearray, step: int) -> None:
    if kind == 0:
        return
    if kind == 2:
        for i in range(len(line)):
            line[i] = (line[i] + above[i]) & 0xFF
        return
    for i in range(len(line)):
        left = line[i - step] if i >= step else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + ((left + above[i]) >> 1)) & 0xFF
        else:
            up, corner = above[i], above[i - step] if i >= step else 0
            estimate = left + up - corner
            pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
            predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            line[i] = (line[i] + predictor) & 0xFF


def colours(png: Path) -> tuple[Counter, tuple[int, int, int]]:
    """Every pixel's colour counted, and the colour of the pixel at (4, 4)."""
    width, height, rows, step = decode_png(png.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT), f"{png.name} is {width}x{height}"
    counted: Counter = Counter()
    for row in rows:
        counted.update(zip(row[0::step], row[1::step], row[2::step], strict=True))
    corner = rows[4][4 * step : 4 * step + 3]
    return counted, (corner[0], corner[1], corner[2])


def problems(png: Path, min_bytes: int = MIN_BYTES) -> list[str]:
    """What is wrong with a screenshot: missing, tiny, blank, or not the dashboard's page."""
    if not png.exists():
        return ["no screenshot"]
    if png.stat().st_size < min_bytes:
        return [f"only {png.stat().st_size} bytes"]
    counted, corner = colours(png)
    found = []
    colour, most = counted.most_common(1)[0]
    if most / (WIDTH * HEIGHT) > MOST_COMMON_AT_MOST:
        found.append(f"{most / (WIDTH * HEIGHT):.1%} of it is {colour}: blank")
    if corner != HEADER:
        found.append(f"the top left is {corner}, not the header bar's {HEADER}: not rendered, or unstyled")
    return found


@pytest.fixture
def shots(tmp_path) -> Path:
    wanted = os.environ.get("DASHBOARD_SHOTS")
    folder = Path(wanted) if wanted else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no /usr/bin/chromium (Debian's `chromium` package) to take screenshots with",
)
def test_every_page_draws_as_a_styled_page_that_is_not_blank(emu, shots, tmp_path):
    scenes = build_scenes(emu)
    emu.set_speed(1)  # the pages then show real-time ETAs, as in use
    names = {name: name.replace(" ", "-") + ".png" for name in scenes}

    def take(name: str) -> tuple[str, list[str]]:
        png = shots / names[name]
        png.unlink(missing_ok=True)
        profile = tmp_path / f"profile-{names[name]}"
        ran = shoot(f"{emu.dashboard_url}{scenes[name].path}", png, profile)
        shutil.rmtree(profile, ignore_errors=True)
        found = problems(png)
        return name, [*found, ran.stderr[-500:]] if found else []

    with ThreadPoolExecutor(max_workers=2) as pool:
        judged = dict(pool.map(take, scenes))

    broken = {name: found for name, found in judged.items() if found}
    assert not broken, broken
    chart, _ = colours(shots / names["job succeeded"])
    assert chart[TRAIN] > 100 and chart[VALID] > 100, "the loss chart's lines are not on the page"


def test_the_judge_refuses_a_blank_page(tmp_path):
    """A page of one colour, as a crashed or empty render gives, is caught (the PNG written by hand; this
    runs without Chromium too)."""
    png = tmp_path / "blank.png"
    row = b"\x00" + b"\xff\xff\xff" * WIDTH
    body = zlib.compress(row * HEIGHT)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    png.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )
    assert problems(png) == [f"only {png.stat().st_size} bytes"]
    found = problems(png, min_bytes=0)
    assert "100.0% of it is (255, 255, 255): blank" in found[0] and "not the header bar" in found[1]
    assert problems(tmp_path / "missing.png") == ["no screenshot"]
