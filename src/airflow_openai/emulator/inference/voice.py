"""The emulator's voice: real audio that carries its text, so speech → transcription round-trips.

The service's speech is 24 kHz, 16-bit, mono PCM (raw for `pcm`, in a RIFF header for `wav`);
so is the emulator's. What it says is a 500 Hz tone whose loudness spells the text: each
byte of `EMU1` + the UTF-8 text is held for a number of tone periods (fewer at a higher
`speed`), at an amplitude of (byte + 1) × 100, its sign alternating from byte to byte so
two equal bytes in a row stay two. Each period's peak falls on a known sample, so `heard`
reads the bytes back exactly from any WAV (or PCM) the emulator wrote, and finds nothing in
other audio. Silence leads in and out, a tenth of a second each.
"""

from __future__ import annotations

import io
import math
import struct
import sys
import wave
from array import array

RATE = 24_000
PERIOD = 48
"""Samples per period of the tone: 500 Hz at 24 kHz."""
PEAK = PERIOD // 4
"""The sample of each period where the tone is at its peak (sin = 1)."""
STEP = 100
MAGIC = b"EMU1"
PERIODS_PER_BYTE = 24
"""At speed 1, each byte sounds for 24 periods (48 ms): about 20 characters a second, as speech goes."""
SILENCE = b"\x00\x00" * (RATE // 10 // PERIOD * PERIOD)
_CARRIER = [math.sin(2 * math.pi * i / PERIOD) for i in range(PERIOD)]


def spoken(text: str, speed: float = 1.0) -> bytes:
    """The PCM (16-bit little-endian samples at 24 kHz) saying `text` at `speed` (0.25-4)."""
    repeat = max(1, round(PERIODS_PER_BYTE / speed))
    periods = []
    for position, byte in enumerate(MAGIC + text.encode("utf-8")):
        amplitude = (byte + 1) * STEP * (1 if position % 2 == 0 else -1)
        periods.append(struct.pack(f"<{PERIOD}h", *(round(amplitude * c) for c in _CARRIER)) * repeat)
    return SILENCE + b"".join(periods) + SILENCE


def as_wav(pcm: bytes) -> bytes:
    sink = io.BytesIO()
    with wave.open(sink, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm)
    return sink.getvalue()


def samples_of(data: bytes) -> tuple[bytes | None, float | None]:
    """The 16-bit mono PCM of a WAV file and its duration in seconds; (None, duration) for a WAV the
    emulator could not have written, (None, None) for what is not a WAV."""
    try:
        with wave.open(io.BytesIO(data), "rb") as source:
            frames, rate = source.getnframes(), source.getframerate()
            duration = frames / rate if rate else None
            if source.getnchannels() != 1 or source.getsampwidth() != 2:
                return None, duration
            return source.readframes(frames), duration
    except (wave.Error, EOFError, struct.error):
        return None, None


def heard(pcm: bytes) -> str | None:
    """The text the emulator's voice says in `pcm`; None when it is not the emulator's voice."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()
    spelled = bytearray()
    previous = 0
    for start in range(0, len(samples) - PERIOD + 1, PERIOD):
        peak = samples[start + PEAK]
        if peak == previous or peak == 0:
            previous = peak
            continue
        previous = peak
        value, rest = divmod(abs(peak), STEP)
        if rest or not 1 <= value <= 256:
            return None
        spelled.append(value - 1)
    if not spelled.startswith(MAGIC):
        return None
    return spelled[len(MAGIC) :].decode("utf-8", errors="replace")
