"""Emulated time: wall time at start, running `speed` times faster, plus explicit advances.

Timestamps the emulator hands out (`created_at`, `expires_at`...) are on this clock,
so a 24-hour completion window passes in minutes at a high speed, or at once after
`advance(86400)`.
"""

from __future__ import annotations

import threading
import time


class Clock:
    def __init__(self, speed: float = 60.0, start: float | None = None) -> None:
        self._lock = threading.Lock()
        self.speed = speed
        self._origin_emulated = time.time() if start is None else start
        self._origin_real = time.monotonic()

    def now(self) -> float:
        with self._lock:
            return self._origin_emulated + (time.monotonic() - self._origin_real) * self.speed

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._origin_emulated += seconds
        return self.now()

    def back_to_wall_time(self) -> None:
        """Emulated time starts again from the wall clock, at the same speed: for a reset, which
        leaves no object whose timestamps a jump back could contradict."""
        with self._lock:
            self._origin_emulated = time.time()
            self._origin_real = time.monotonic()

    def set_speed(self, speed: float) -> None:
        """Change speed without a jump: time so far is kept, the rate changes from now on."""
        current = self.now()
        with self._lock:
            self._origin_emulated = current
            self._origin_real = time.monotonic()
            self.speed = speed

    def real_seconds(self, emulated_seconds: float) -> float:
        """How long `emulated_seconds` take in real time at the current speed."""
        return emulated_seconds / self.speed if self.speed > 0 else float("inf")
