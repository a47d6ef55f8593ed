"""Whether a task that is being killed should cancel the remote work it started.

Airflow calls `on_kill` (the operator's in a worker, the trigger's in the triggerer) for
every user action that ends an attempt: marking it failed, marking it success, clearing
it. Only the first really stops the work: after a clear a new try reattaches to the same
batch and takes it over, and a task marked success is meant to be left alone. So the
decision rests on the state the task instance is in when `on_kill` runs.
"""

from __future__ import annotations

from dataclasses import dataclass

STOPPED_STATES = frozenset({"failed", "upstream_failed", "skipped", "removed"})
"""States in which nobody will come back for the remote work: cancelling it saves money."""


@dataclass(frozen=True)
class KillVerdict:
    cancel: bool
    why: str


def kill_verdict(known: bool, state: str | None, *, in_worker: bool = False) -> KillVerdict:
    """Cancel only when the task is really being stopped; say why either way.

    `known` is False when the state could not be read (outside Airflow, an Airflow that
    cannot tell, or a channel that did not answer in time): then the task is taken as
    stopped, as every kill used to be. `in_worker` is True for the operator's own `on_kill`:
    there, a state still `running` means the attempt itself is ending (`execution_timeout`,
    the worker shutting down), not that a new try has begun.
    """
    if not known:
        return KillVerdict(True, "the task's state could not be read, so the task is taken as stopped")
    if state in STOPPED_STATES:
        return KillVerdict(True, f"the task was marked {state}")
    if state == "success":
        return KillVerdict(False, "the task was marked success, which leaves what it started running")
    if in_worker and state == "running":
        return KillVerdict(
            True, "the attempt is ending while it runs (execution_timeout or a worker shutdown)"
        )
    if state == "up_for_retry":
        return KillVerdict(False, "the task will be retried, and its next try takes the work over")
    return KillVerdict(
        False, f"the task was cleared (now {state or 'waiting to run'}): its next try takes the work over"
    )
