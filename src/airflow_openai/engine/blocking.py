"""The engine's blocking driver: the hook's waits in a worker, and a sensor's single poke.

It runs the same `Watch` the trigger runs, with blocking sleeps, and ends with the same event
the trigger would fire (`event`), so an operator finishes a wait the same way wherever it ran.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from airflow_openai.engine.kind import JobKind
from airflow_openai.engine.watch import Fire, Watch
from airflow_openai.outage import is_outage
from airflow_openai.pacing import PollPacing


def new_watch(
    kind: JobKind,
    ref: dict[str, Any],
    pacing: PollPacing | None,
    *,
    started_at: float,
    now: float,
    deadline: float | None,
) -> Watch:
    return Watch(
        kind.keys(ref),
        pacing or kind.pacing,
        started_at=started_at,
        now=now,
        deadline=deadline,
        what=kind.describe(ref),
        summary=lambda latest: kind.summary(ref, latest),
    )


def event(kind: JobKind, ref: dict[str, Any], watch: Watch, fired: Fire) -> dict[str, Any]:
    """The event a wait ends with, as plain values: the same from the trigger and from a worker."""
    return {
        "status": fired.status,
        "kind": kind.name,
        "ref": ref,
        "statuses": watch.statuses(),
        "message": fired.message,
        **kind.payload(ref, watch.latest),
    }


def poll(
    hook: Any,
    kind: JobKind,
    ref: dict[str, Any],
    watch: Watch,
    now: float,
    log: Any,
    on_progress: Callable[[Any], None] | None = None,
) -> None:
    """Read every job not seen finished yet, once; a read the API did not answer counts toward the
    outage, with one warning line, and any other error is raised."""
    for key in watch.pending():
        try:
            assessment = kind.assess(kind.read(hook, ref, key))
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning(watch.poll_failed(kind.name_of(ref, key), exc, now))
            continue
        if watch.seen(key, assessment, now) or getattr(assessment, "processed", None) is not None:
            (on_progress or (lambda a: log.info(a.message)))(assessment)


def wait(
    hook: Any,
    kind: JobKind,
    ref: dict[str, Any],
    *,
    pacing: PollPacing | None = None,
    started_at: float | None = None,
    deadline: float | None = None,
    on_progress: Callable[[Any], None] | None = None,
    after_poll: Callable[[], None] | None = None,
    sleep: Callable[[float], Any] = time.sleep,
    clock: Callable[[], float] = time.time,
    log: Any,
    task: Any = None,
) -> tuple[dict[str, Any], Watch]:
    """Poll until the wait fires; returns its event and the watch (with every job's last assessment).

    `on_progress` hears of each assessment worth a line (a change of status, or progress);
    `after_poll` runs after each poll round that reached the API (a fine-tuning job's events);
    an outage error it raises counts as a failed poll. `task` (the waiting operator) tags the
    poll metrics with its DAG and task.
    """
    from airflow_openai.metrics import emit_polls, poll_tags

    now = clock()
    watch = new_watch(kind, ref, pacing, started_at=started_at or now, now=now, deadline=deadline)
    tags = poll_tags(kind.name, hook, task)
    while True:
        now = clock()
        poll(hook, kind, ref, watch, now, log, on_progress)
        emit_polls(tags, watch.take_counts())
        if after_poll is not None and not watch.outage.ongoing:
            try:
                after_poll()
            except Exception as exc:
                if not is_outage(exc):
                    raise
                log.warning(watch.poll_failed(kind.describe(ref), exc, now))
        decided = watch.verdict(clock())
        if isinstance(decided, Fire):
            return event(kind, ref, watch, decided), watch
        sleep(decided.seconds)
