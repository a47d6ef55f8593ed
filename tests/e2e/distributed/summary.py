"""A line of the distributed profile's session summary (printed by conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Record:
    """A line of the session summary: how long a scenario took and what it left on the remote sides."""

    name: str
    seconds: float = 0.0
    outcome: str = "?"
    remote: list[str] = field(default_factory=list)
    """What was counted on the emulator and in object storage, e.g. `batches: 1`."""
    notes: list[str] = field(default_factory=list)
