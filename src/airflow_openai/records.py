"""What a task keeps for its next try, typed: one small record per job kind, read and written
through one API.

A job's task makes remote objects one after another (an input file, then the batch on it; a
thread, then its run) and waits for them. Each is written down as soon as it exists, before
the next call, so whatever ends the attempt early (an outage outlasting the HTTP retries, a
worker that dies, a clear) is resumed from what was written: nothing that succeeded is made
again, and nothing is left behind unused.

A record is a dataclass whose fields say what can be kept (a misspelt field fails loudly
instead of being lost); its `key` names it in Airflow's task state store. The capability
packages never see Airflow: they are handed a `RecordStore`, which the operators back with
the task state store; without a store (a script, a test calling `execute`) the record lives in
memory, which still carries an outage round of the same attempt. A value written by an earlier
release of this provider is read as far as its fields go.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Generic, TypeVar


@dataclasses.dataclass
class TaskRecord:
    key: ClassVar[str]
    """The task state store key the record lives under."""
    legacy_keys: ClassVar[dict[str, str]] = {}
    """Field → the key an earlier release kept it under, read while the record itself is absent."""

    @classmethod
    def from_value(cls: type[R], value: Any) -> R:
        """The record a store held (a dict), keeping the fields it knows; empty for anything else."""
        known = {field.name for field in dataclasses.fields(cls)}
        data = value if isinstance(value, dict) else {}
        return cls(**{name: data[name] for name in known if data.get(name) is not None})

    def to_value(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


R = TypeVar("R", bound=TaskRecord)


class RecordStore(Generic[R]):
    """Record type `kind` in `store` (anything with `get(key)` and `set(key, value)`: Airflow's task
    state store), or in memory when `store` is None."""

    def __init__(self, store: Any, kind: type[R]) -> None:
        self._store = store
        self._kind = kind
        self._memory: R = kind()

    def read(self) -> R:
        if self._store is None:
            return dataclasses.replace(self._memory)
        value = self._store.get(self._kind.key)
        if value is None and self._kind.legacy_keys:
            value = {field: self._store.get(old) for field, old in self._kind.legacy_keys.items()}
        return self._kind.from_value(value)

    def update(self, **changes: Any) -> R:
        """Change some fields and keep the rest; a name the record does not have is a bug, raised."""
        updated = dataclasses.replace(self.read(), **changes)
        if self._store is None:
            self._memory = updated
        else:
            self._store.set(self._kind.key, updated.to_value())
        return updated


def record_store(context: Any, kind: type[R]) -> RecordStore[R]:
    """The record of `kind` for the task instance `context` runs, in its task state store."""
    return RecordStore(context.get("task_state_store"), kind)
