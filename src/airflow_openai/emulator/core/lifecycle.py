"""Lifecycles declared, not branched: a service states which status follows which, after how long, on
which condition, and this one driver moves an object along that table up to the emulated "now".

Objects advance lazily, when read: `advance` takes, one after another, every transition that fell due
since the last read, each at the moment it fell due (not at the moment of the read), so an object read
once a day ends exactly as one polled every second. The table is the one place where a service's
timing and faults can be read; what a move does (write an output file, make a model) stays in the
service, in the named hook the row points to.

A row (`Transition`) leaves `source` for `target`:
- on the clock, `after` emulated seconds (a number, or a function of the object) once the object
  entered `source` (the time its `stamps[source]` field holds), or at the time its `by` field holds
  (a deadline such as `expires_at`; none while that field is null);
- only while `when` holds, if given (a planned fault, every file done...);
- or on a request instead of the clock (`on="cancel"`): `take` moves it, `advance` never does.
When several rows are due, the earliest is taken, ties going to the row written first. The object
enters its new status with its `stamps[status]` field set to that moment, then the row's `enter` hook
runs. A row with several targets is one whose outcome is known only by doing the work (validating a
file, answering a turn): its hook runs first and returns the status to enter. A status no row leaves is
terminal. `work[status]` is progress made while in a status (a batch's lines, a job's steps), run up
to each moment the driver looks at; it never changes the status itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj

Seconds = float | Callable[[EmulatorState, Obj], float]
Hook = Callable[[EmulatorState, Obj, Any], str | None]
"""Run on entering the new status at the given emulated time; returns the status when there are several."""
Work = Callable[[EmulatorState, Obj, Any], None]
"""Progress made while in a status, up to the given emulated time."""


def _names(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else value


@dataclass(frozen=True)
class Transition:
    """One row of a table: from `source` (one status or several) to `target` (one, or the outcomes its
    `enter` hook chooses among)."""

    source: str | tuple[str, ...]
    target: str | tuple[str, ...]
    after: Seconds = 0
    by: str | None = None
    when: Callable[[EmulatorState, Obj], bool] | None = None
    on: str | None = None
    enter: Hook | None = None

    @property
    def sources(self) -> tuple[str, ...]:
        return _names(self.source)

    @property
    def targets(self) -> tuple[str, ...]:
        return _names(self.target)


@dataclass(frozen=True)
class Lifecycle:
    """A service's table for one kind of object, and the driver that reads it."""

    transitions: tuple[Transition, ...]
    stamps: Mapping[str, str] = field(default_factory=dict)
    """The field recording when the object entered each status (`in_progress` → `in_progress_at`)."""
    work: Mapping[str, Work] = field(default_factory=dict)

    @property
    def states(self) -> frozenset[str]:
        return frozenset(name for row in self.transitions for name in (*row.sources, *row.targets))

    @property
    def terminal(self) -> frozenset[str]:
        """The statuses no row leaves."""
        return self.states - {name for row in self.transitions for name in row.sources}

    def due(self, state: EmulatorState, obj: Obj, row: Transition) -> float | None:
        """When `row` falls due for `obj` (in its source status); None if never on the clock."""
        if row.on is not None:
            return None
        if row.by is not None:
            deadline: float | None = obj.get(row.by)
            return deadline
        after = row.after(state, obj) if callable(row.after) else row.after
        return obj[self.stamps[obj["status"]]] + after

    def next(self, state: EmulatorState, obj: Obj, now: float) -> tuple[Transition, float] | None:
        """The row to take by `now` and when it fell due, if any: the earliest whose condition holds."""
        status = obj["status"]
        timed = []
        for index, row in enumerate(self.transitions):
            if status in row.sources and (at := self.due(state, obj, row)) is not None and at <= now:
                timed.append((at, index, row))
        for at, _, row in sorted(timed, key=lambda item: item[:2]):
            if row.when is None or row.when(state, obj):
                return row, at
        return None

    def advance(self, state: EmulatorState, obj: Obj, now: float) -> bool:
        """Move `obj` through every transition due by `now`, doing its work on the way; True if it moved."""
        moved = False
        while obj["status"] not in self.terminal:
            step = self.next(state, obj, now)
            work = self.work.get(obj["status"])
            if work is not None:
                work(state, obj, now if step is None else step[1])
            if step is None:
                break
            self._move(state, obj, *step)
            moved = True
        return moved

    def take(self, state: EmulatorState, obj: Obj, target: str, at: float) -> str | None:
        """Take the row from the object's status towards `target` at `at`, whatever its time or condition
        (a request, or the control plane hurrying it); the status reached, None if no row leads there."""
        for row in self.transitions:
            if obj["status"] in row.sources and target in row.targets:
                return self._move(state, obj, row, at)
        return None

    def enter(self, obj: Obj, status: str, at: float) -> None:
        """`obj` is in `status` from `at`: its status set, and the field its schema has for that moment."""
        obj["status"] = status
        if status in self.stamps:
            obj[self.stamps[status]] = at

    def _move(self, state: EmulatorState, obj: Obj, row: Transition, at: float) -> str:
        if len(row.targets) > 1:
            chosen = row.enter(state, obj, at) if row.enter is not None else None
            if chosen not in row.targets:
                raise ValueError(f"{row.source} → {row.targets}: the hook chose {chosen!r}")
            self.enter(obj, chosen, at)
            return chosen
        self.enter(obj, row.targets[0], at)
        if row.enter is not None:
            row.enter(state, obj, at)
        return row.targets[0]
