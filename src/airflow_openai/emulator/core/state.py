"""Everything one emulator instance owns: its store, clock, ids, faults, responder and seams."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from airflow_openai.emulator.core.answers import Answer, Responder
from airflow_openai.emulator.core.clock import Clock
from airflow_openai.emulator.core.faults import Faults
from airflow_openai.emulator.core.ids import IdFactory
from airflow_openai.emulator.core.request_log import RequestLog
from airflow_openai.emulator.core.seams import Seams
from airflow_openai.emulator.core.store import Store

CLOCK_KEY = "clock.emulated_now"


class InMemory(Protocol):
    """A service's own state that lives no longer than the process (see `EmulatorState.in_memory`)."""

    def clear(self) -> None: ...

    def close(self) -> None: ...


M = TypeVar("M", bound=InMemory)


@dataclass
class EmulatorState:
    store: Store
    clock: Clock
    responder: Responder
    """Who answers model calls no service answers itself: inference's built-in model unless the
    emulator was given another (`server.py` chooses)."""
    ids: IdFactory = field(default_factory=IdFactory)
    faults: Faults = field(default_factory=Faults)
    seconds_per_line: float = 0.06
    """Emulated time one batch line takes; raise it to make batches outlast their window."""
    lock: threading.RLock = field(default_factory=threading.RLock)
    requests: RequestLog = field(default_factory=RequestLog)
    """API requests received, per method and path (`GET /_emulator/requests`)."""
    seams: Seams = field(default_factory=Seams)
    """What one service asks of another, registered by `app.create_app` (see `core.seams`)."""
    _saved_at: float = 0.0
    _in_memory: dict[type, Any] = field(default_factory=dict)

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        responder: Responder,
        speed: float = 60.0,
        seed: int | None = None,
    ) -> EmulatorState:
        """Open (or create) the state in `data_dir`; emulated time resumes where a previous run left it."""
        store = Store(data_dir)
        saved = store.meta(CLOCK_KEY)
        clock = Clock(speed=speed)
        if saved is not None and float(saved) > clock.now():
            clock.advance(float(saved) - clock.now())
        return cls(store=store, clock=clock, responder=responder, ids=IdFactory(seed))

    def now(self) -> int:
        """Current emulated Unix time, remembered (about once a second) so a restart never goes back in time."""
        current = self.clock.now()
        if current - self._saved_at >= 1.0 or current < self._saved_at:
            self.store.meta(CLOCK_KEY, repr(current))
            self._saved_at = current
        return int(current)

    def respond(self, url: str, body: Any) -> Answer:
        """Who answers a direct call, a batch line or a run's turn: the first of `seams.answerers` that
        knows the model (a fine-tuned model made here answers from its training examples, see
        `inference.tuned_answers`); any other model is the responder's."""
        for answerer in self.seams.answerers:
            answer = answerer(self.store, url, body)
            if answer is not None:
                return answer
        return self.responder(url, body)

    def in_memory(self, kind: type[M]) -> M:
        """The one `kind` this state holds in memory, made on first use: a service's own state that lives
        no longer than the process (the md5s of pending uploads, `files.upload_digests`), so that
        core need not know it. `reset` clears each, `close` closes each."""
        with self.lock:
            held = self._in_memory.get(kind)
            if held is None:
                held = self._in_memory[kind] = kind()
        return held

    def reset(self) -> None:
        """Empty, and back on the wall clock: a long test session at high speeds does not leave
        the next test's emulated "now" days ahead of the worker's."""
        with self.lock:
            self.store.reset()
            self.clock.back_to_wall_time()
            self._saved_at = 0.0
            self.faults.clear()
            for held in self._in_memory.values():
                held.clear()
            self.requests.clear()
            self.seconds_per_line = 0.06

    def close(self) -> None:
        """Release the store and what is held in memory (threads among them)."""
        self.store.close()
        with self.lock:
            for held in self._in_memory.values():
                held.close()
