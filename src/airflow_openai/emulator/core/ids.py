"""Object ids with the API's prefixes (`file-`, `upload_`, `part_`, `batch_`...), seedable for repeatable tests."""

from __future__ import annotations

import random
import string
import threading

_ALPHABET = string.ascii_letters + string.digits


class IdFactory:
    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self.seed(seed)

    def seed(self, seed: int | None) -> None:
        with self._lock:
            self._random = random.Random(seed)

    def new(self, prefix: str, length: int = 24) -> str:
        with self._lock:
            return prefix + "".join(self._random.choice(_ALPHABET) for _ in range(length))
