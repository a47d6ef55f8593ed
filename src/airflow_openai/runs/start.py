"""Starting an assistant run exactly once: its thread made once, its messages added once, the run
created once, however often the step runs again.

The assistant is read first (`GET /assistants/{id}`): one that does not exist, or that the key
cannot see, is refused (`AssistantNotFound`) before anything is made. Then the step takes up to
two calls: make a bare thread (none when the DAG gives one), then create the run, the messages
going in with it (`additional_messages`). The thread is recorded before the run is created, the
run as soon as it exists, so a step that an outage ended half-way (the run create failing past
the HTTP retries), or a retried task, goes on from there: no second thread, no messages added
twice, no second run.

Threads cannot be listed, so a thread whose create answer was lost cannot be found: another is
made. Made bare, the lost one holds nothing (the messages never went to it) and nothing ever runs
on it; the step says so in the log. A thread made with the messages would leave them on two.

A run whose id was never recorded (the worker died first) is found on the thread by the task's
tags in its metadata. A recorded run that failed or expired is started afresh on the same
thread, without adding the messages again.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

from airflow_openai.records import RecordStore
from airflow_openai.runs.record import RunRecord

log = logging.getLogger(__name__)

RESTARTABLE = frozenset({"failed", "expired"})
"""Endings a retry may start afresh (a server error, outputs not sent in time) with a new run on the
same thread. `incomplete` (token limits) would end the same way again, and `cancelled` was
someone's decision: those fail the task without a retry."""
TAG_PREFIX = "airflow_"


class AssistantNotFound(LookupError):
    """The assistant does not exist, or the key cannot see it; nothing was created."""

    def __init__(self, assistant_id: str, error: BaseException) -> None:
        super().__init__(f"assistant {assistant_id!r} was not found ({error})")
        self.assistant_id = assistant_id
        self.error = error


@dataclass(frozen=True)
class RunRequest:
    """What to run: the assistant, the messages (as `messages.as_messages` made them), the thread
    the DAG gives (None: a new one) and the run's other fields, as the spec names them."""

    assistant_id: str
    messages: list[dict[str, Any]]
    thread_id: str | None = None
    run_parameters: dict[str, Any] = field(default_factory=dict)


def run_tags(identity: Any) -> dict[str, str]:
    """Which task instance made a run: in its metadata, so a retry finds it."""
    return {
        f"{TAG_PREFIX}dag_id": identity.dag_id[:512],
        f"{TAG_PREFIX}task_id": identity.task_id[:512],
        f"{TAG_PREFIX}run_id": identity.run_id[:512],
        f"{TAG_PREFIX}map_index": str(identity.map_index),
    }


def start_run(
    hook: Any, request: RunRequest, tags: dict[str, str], record: RecordStore[RunRecord], logger: Any = log
) -> tuple[str, str]:
    """The thread and the run: recorded earlier, found on the thread by `tags`, or made now.

    Safe to run again after any failure (an outage round, a retry): it goes on from `record`.
    """
    state = record.read()
    thread_id, run_id = state.thread_id, state.run_id
    # The messages go in with the run: they are on the thread once a run of ours was created on it.
    placed = False
    if thread_id and run_id:
        run = hook.get_run(thread_id, run_id)
        if run.status not in RESTARTABLE:
            logger.info(
                "Reattaching to run %s on thread %s (%s), started by an earlier attempt",
                run_id,
                thread_id,
                run.status,
            )
            return str(thread_id), str(run_id)
        logger.info(
            "The earlier attempt's run %s %s; starting a new run on thread %s", run_id, run.status, thread_id
        )
        placed = True
    if thread_id:
        found = newest_tagged_run(hook, thread_id, tags)
        if found is not None and found.id != run_id and found.status not in RESTARTABLE:
            logger.info(
                "Reattaching to run %s on thread %s, made by an attempt that died", found.id, thread_id
            )
            record.update(run_id=found.id, rounds=0, answered_calls=[], answers={})
            return str(thread_id), str(found.id)
        placed = placed or found is not None
    check_assistant(hook, request.assistant_id)
    if not thread_id:
        thread_id = str(request.thread_id) if request.thread_id else new_thread(hook, logger)
        record.update(thread_id=thread_id)  # before the run: a step run again makes no second thread
    options = dict(request.run_parameters)
    options["metadata"] = {**dict(options.get("metadata") or {}), **tags}
    if not placed:
        options["additional_messages"] = request.messages
    run = hook.create_run(thread_id, request.assistant_id, **options)
    record.update(thread_id=thread_id, run_id=run.id, rounds=0, answered_calls=[], answers={})
    logger.info(
        "Run %s of assistant %s on thread %s (%s)%s",
        run.id,
        request.assistant_id,
        thread_id,
        run.status,
        "" if placed else f", with the {len(request.messages)} messages",
    )
    return str(thread_id), str(run.id)


def check_assistant(hook: Any, assistant_id: str) -> None:
    """Refuse an assistant that does not exist (or that the key cannot see) before anything is made:
    a run on it would be refused the same way, on every try."""
    from airflow_openai.client.errors import NotFoundError

    try:
        hook.get_assistant(assistant_id)
    except NotFoundError as exc:
        raise AssistantNotFound(assistant_id, exc) from exc


def new_thread(hook: Any, logger: Any = log) -> str:
    """A bare thread, its id. Sent once: a lost answer is said in the log (the thread it may have
    made cannot be found, as threads cannot be listed; it is empty, and nothing runs on it), and
    another is made, as the client makes any thread whose answer was lost."""
    from airflow_openai.client.endpoints import runs as endpoints
    from airflow_openai.client.errors import AnswerLostError

    once = dataclasses.replace(endpoints.create_thread(), repeatable=False)
    try:
        return str(hook.run_call(once).id)
    except AnswerLostError as lost:
        logger.warning(
            "The answer to creating the thread was lost (%s): the service may have made a thread this "
            "task will never see (threads cannot be listed). It is empty (the messages go in with the "
            "run) and nothing runs on it; making another",
            lost.__cause__ or lost,
        )
    return str(hook.create_thread().id)


def newest_tagged_run(hook: Any, thread_id: str, tags: dict[str, str]) -> Any:
    """The thread's newest run if this task made it (it carries `tags`), whatever its status: a
    thread runs one at a time, and an older one is over."""
    for run in hook.list_runs(thread_id, limit=20, order="desc"):
        metadata = getattr(run, "metadata", None) or {}
        return run if all(metadata.get(key) == value for key, value in tags.items()) else None
    return None
