"""Everything one emulator instance owns: its store, clock, ids, faults and responder."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_openai.emulator.clock import Clock
from airflow_openai.emulator.faults import Faults
from airflow_openai.emulator.ids import IdFactory
from airflow_openai.emulator.request_log import RequestLog
from airflow_openai.emulator.responder import Responder, default_responder
from airflow_openai.emulator.store import Store
from airflow_openai.emulator.tuned_answers import respond as tuned_answer
from airflow_openai.emulator.upload_digests import UploadDigests

CLOCK_KEY = "clock.emulated_now"


@dataclass
class EmulatorState:
    store: Store
    clock: Clock
    ids: IdFactory = field(default_factory=IdFactory)
    faults: Faults = field(default_factory=Faults)
    responder: Responder = default_responder
    seconds_per_line: float = 0.06
    """Emulated time one batch line takes; raise it to make batches outlast their window."""
    lock: threading.RLock = field(default_factory=threading.RLock)
    digests: UploadDigests = field(default_factory=UploadDigests)
    """md5s of pending uploads, hashed as their parts arrive."""
    requests: RequestLog = field(default_factory=RequestLog)
    """API requests received, per method and path (`GET /_emulator/requests`)."""
    _saved_at: float = 0.0

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        speed: float = 60.0,
        responder: Responder | None = None,
        seed: int | None = None,
    ) -> EmulatorState:
        """Open (or create) the state in `data_dir`; emulated time resumes where a previous run left it."""
        store = Store(data_dir)
        saved = store.meta(CLOCK_KEY)
        clock = Clock(speed=speed)
        if saved is not None and float(saved) > clock.now():
            clock.advance(float(saved) - clock.now())
        return cls(store=store, clock=clock, ids=IdFactory(seed), responder=responder or default_responder)

    def now(self) -> int:
        """Current emulated Unix time, remembered (about once a second) so a restart never goes back in time."""
        current = self.clock.now()
        if current - self._saved_at >= 1.0 or current < self._saved_at:
            self.store.meta(CLOCK_KEY, repr(current))
            self._saved_at = current
        return int(current)

    def respond(self, url: str, body: Any) -> tuple[int, dict[str, Any]]:
        """Who answers a direct call or a batch line: a fine-tuned model made here answers from its
        training examples (see `tuned_answers`); any other model is the responder's."""
        answer = tuned_answer(self.store, url, body)
        return answer if answer is not None else self.responder(url, body)

    def reset(self) -> None:
        """Empty, and back on the wall clock: a long test session at high speeds does not leave
        the next test's emulated "now" days ahead of the worker's."""
        with self.lock:
            self.store.reset()
            self.clock.back_to_wall_time()
            self._saved_at = 0.0
            self.faults.clear()
            self.digests.clear()
            self.requests.clear()
            self.seconds_per_line = 0.06
