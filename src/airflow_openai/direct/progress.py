"""One line of progress for a direct run, every so often: what a DAG author watches in the task log."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Progress:
    """Answers counted as they arrive; `line()` says done / total, rate, tokens and time left."""

    total: int
    already: int = 0
    """Answered by an earlier attempt: counted done, not in the rate."""
    done: int = 0
    tokens: int = 0
    started: float = field(default_factory=time.monotonic)
    clock: Callable[[], float] = time.monotonic

    def answered(self, tokens: int) -> None:
        self.done += 1
        self.tokens += tokens

    def line(self) -> str:
        elapsed = max(self.clock() - self.started, 1e-9)
        finished = self.already + self.done
        rate = self.done / elapsed
        left = self.total - finished
        eta = f"{left / rate:.0f} s" if rate > 0 else "unknown"
        share = 100.0 * finished / self.total if self.total else 100.0
        return (
            f"Direct calls: {finished}/{self.total} answered ({share:.1f}%), {rate * 60:.0f} requests/min, "
            f"{self.tokens:,} tokens ({self.tokens / elapsed * 60:,.0f}/min), about {eta} left"
        )
