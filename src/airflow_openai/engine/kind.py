"""What the engine needs to know about one kind of remote job: a plug-in.

A job is named by a `ref`, plain values that travel through a deferral: ``{"ids": [...]}`` and
whatever else its calls need (the vector store of file batches, the thread of a run). A kind
says how to read one of its jobs and how to cancel it (a hook method each; the async twin is
the same name with an ``a`` in front, as everywhere in the hook), how to `assess` what was
read (the capability's own one decision), how its jobs are named in messages, and what its
trigger event carries besides the common fields. Everything else (pacing, outages, deadlines,
kills, sync and async) is the engine's.

Adding a kind is a subclass of `JobKind` in `engine/kinds/` and one line in `engine/registry.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from airflow_openai.pacing import PollPacing


class JobKind:
    name: ClassVar[str]
    """The kind's key in the registry and in a trigger's serialized kwargs."""
    noun: ClassVar[str]
    nouns: ClassVar[str]
    reader: ClassVar[str]
    """The hook method that reads one job, e.g. ``get_batch``."""
    canceller: ClassVar[str]
    """The hook method that cancels one job, e.g. ``cancel_batch``."""
    pacing: ClassVar[PollPacing] = PollPacing()
    """The pacing a wait uses when it is given none."""

    assess: Callable[[Any], Any]
    """The capability's one decision about what was read (outcome, status, message): its `assess`."""

    def args(self, ref: dict[str, Any], key: str) -> tuple[Any, ...]:
        """The hook call's arguments for job `key` (its id, and what else the call needs)."""
        return (key,)

    def keys(self, ref: dict[str, Any]) -> list[str]:
        return [str(key) for key in ref["ids"]]

    def name_of(self, ref: dict[str, Any], key: str) -> str:
        """One job, in messages: ``batch batch_123``."""
        return f"{self.noun} {key}"

    def describe(self, ref: dict[str, Any]) -> str:
        """All the jobs of `ref`, in messages: ``batches a, b``."""
        keys = self.keys(ref)
        return f"{self.noun if len(keys) == 1 else self.nouns} {', '.join(keys)}"

    def summary(self, ref: dict[str, Any], latest: dict[str, Any]) -> str:
        """How the end of the wait reads when every job finished well: one job's own message."""
        if len(latest) == 1:
            return str(next(iter(latest.values())).message)
        return f"{self.describe(ref)} finished"

    def ref_of(self, event: dict[str, Any]) -> dict[str, Any]:
        """The `ref` an event was fired for; an event of an earlier release (a task deferred before
        an upgrade) names its jobs in the kind's own fields instead."""
        return dict(event["ref"]) if "ref" in event else self.legacy_ref(event)

    def legacy_ref(self, event: dict[str, Any]) -> dict[str, Any]:
        raise KeyError(f"an event without a ref for {self.name}: {sorted(event)}")

    def payload(self, ref: dict[str, Any], latest: dict[str, Any]) -> dict[str, Any]:
        """What the trigger's event carries for this kind, besides status, kind, ref, statuses and
        message: the fields operators and sensors read back."""
        return {}

    # -- I/O through the hook: the same method names everywhere, sync and async ----------------------

    def read(self, hook: Any, ref: dict[str, Any], key: str) -> Any:
        return getattr(hook, self.reader)(*self.args(ref, key))

    async def aread(self, hook: Any, ref: dict[str, Any], key: str) -> Any:
        return await getattr(hook, f"a{self.reader}")(*self.args(ref, key))

    def cancel(self, hook: Any, ref: dict[str, Any], key: str) -> Any:
        return getattr(hook, self.canceller)(*self.args(ref, key))

    async def acancel(self, hook: Any, ref: dict[str, Any], key: str) -> Any:
        return await getattr(hook, f"a{self.canceller}")(*self.args(ref, key))
