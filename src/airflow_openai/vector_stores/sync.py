"""The sync of a source with a vector store, round by round, without Airflow.

A round plans against the store as it is now (`plan`), uploads what is new or changed
(`uploads`) and attaches it in file batches of at most 500; the caller waits for those, then
runs the next round. After a wait, a round attaches what is still missing (files a dead
attempt never attached, or changed meanwhile) and, once, what failed to process; at most
`MAX_ROUNDS` rounds. When nothing is left to attach, the sync tidies up and reports (`report`).

What a round makes goes to its `Record` as it is made (the store, the uploads, each file batch
and the files it attaches), so a round run again (after an outage, or by a retried task)
reattaches to its file batches and uploads nothing twice. The caller gives a hook and plain
values; it keeps the waiting, and turns `SyncRefused` (fail for good) and `SyncIncomplete`
(a retry goes on) into its own errors.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from airflow_openai.outage import DEFAULT_OUTAGE_BUDGET, waited_out
from airflow_openai.records import RecordStore
from airflow_openai.vector_stores.parameters import STORE_KEY_METADATA
from airflow_openai.vector_stores.plan import Plan, SourceFile
from airflow_openai.vector_stores.record import VectorStoreRecord

T = TypeVar("T")
log = logging.getLogger(__name__)

BATCH_LIMIT = 500
"""The API's limit on the files of one file batch."""
MAX_ROUNDS = 3
"""Attach, then attach once more what failed, then what is still missing: the most a run waits."""


class SyncRefused(Exception):
    """The sync cannot be done as asked (a source that reads nothing, metadata the API refuses, too
    many files failing to process): running it again would end the same way."""


class SyncIncomplete(Exception):
    """The sync stopped half-way for a reason that may pass; what it made is recorded, and running
    it again goes on from there."""


@dataclass(frozen=True)
class SyncSettings:
    """What the DAG asks for, as rendered (see `OpenAIVectorStoreIngestOperator` for each)."""

    source: str | list[str]
    vector_store_id: str | None = None
    store_key: str | None = None
    store_name: str | None = None
    metadata: Mapping[str, str] | None = None
    expires_after: Mapping[str, Any] | None = None
    mode: str = "sync"
    chunking_strategy: Mapping[str, Any] | None = None
    max_failed_fraction: float = 0.0
    upload_concurrency: int = 8
    outage_budget: float = DEFAULT_OUTAGE_BUDGET
    include_hidden: bool = False


@dataclass(frozen=True)
class Attaching:
    """File batches to wait for (`batch_ids` of store `store_id`), then round `round` goes on."""

    store_id: str
    batch_ids: list[str]
    round: int
    tally: dict[str, Any]


@dataclass(frozen=True)
class Finished:
    """The sync is done; `result` is what the task returns."""

    result: dict[str, Any]


class VectorStoreSync:
    """One task's sync: `scan` the source, resolve the `store`, then a `round` after each wait.

    `on_batches(store_id, batch_ids)` hears of the file batches the caller is now responsible
    for (to cancel them when it is killed), as each is created, and when they are done with.
    """

    def __init__(
        self,
        hook: Any,
        settings: SyncSettings,
        record: RecordStore[VectorStoreRecord],
        *,
        logger: Any = log,
        on_batches: Callable[[str, list[str]], None] | None = None,
    ) -> None:
        self.hook = hook
        self.settings = settings
        self.record = record
        self.log = logger
        self.on_batches = on_batches or (lambda store_id, batch_ids: None)
        self.attached_now: list[str] = []
        """Files this attempt attached: they, and no others, count against max_failed_fraction."""
        self.hidden: list[str] = []
        """Hidden files the source's globs matched: skipped, unless `include_hidden`."""

    def call(self, step: Callable[[], T], what: str) -> T:
        """`step` run through an outage: tried again, after a pause, until the budget is spent."""
        return waited_out(step, what, budget=self.settings.outage_budget)

    # -- the source and the store ----------------------------------------------------------------------

    def scan(self) -> list[SourceFile]:
        """The source's files with their digests (none for a list of file ids); a source that
        reads nothing changes nothing."""
        from airflow_openai.vector_stores.source import scan

        source = self.settings.source
        if is_file_ids(source):
            return []
        include_hidden = self.settings.include_hidden
        try:
            scanned = scan(source, include_hidden=include_hidden)
        except (OSError, ValueError) as exc:
            raise SyncRefused(f"source {source!r} cannot be read: {exc}; nothing was changed") from None
        self.hidden = scanned.hidden
        if not scanned.files:
            hidden = (
                f" but {len(self.hidden)} hidden files (include_hidden=True takes them)"
                if self.hidden
                else ""
            )
            raise SyncRefused(f"no file matches source {source!r}{hidden}; nothing was changed")
        self.log.info("Source: %d files", len(scanned.files))
        if self.hidden:
            self.log.info(
                "%s %d hidden files (a name starting with a dot, which a glob leaves out%s): %s",
                "Took" if include_hidden else "Skipped",
                len(self.hidden),
                "; include_hidden=True takes them" if not include_hidden else "",
                ", ".join(self.hidden[:10]) + (", …" if len(self.hidden) > 10 else ""),
            )
        return scanned.files

    def store(self) -> str:
        """The store's id: given, recorded by an earlier attempt, found by its key, or created."""
        recorded = self.record.read().store
        if self.settings.vector_store_id:
            store_id = str(self.settings.vector_store_id)
            if recorded != store_id:
                self._check_usable(store_id)
        elif recorded:
            store_id = str(recorded)
        else:
            store_id = self.call(self._find_or_create, "Finding the vector store")
        self.record.update(store=store_id)
        return store_id

    def _find_or_create(self) -> str:
        from airflow_openai.vector_stores.parameters import check_store_metadata

        settings = self.settings
        key = str(settings.store_key)
        try:
            user_metadata = check_store_metadata(settings.metadata)  # as rendered
        except ValueError as exc:
            raise SyncRefused(f"{exc}; nothing was created") from None
        from airflow_openai.vector_stores.expired import why

        found, expired = None, []
        for store in self.hook.list_vector_stores(limit=100):  # every page: an expired one may be older
            if (store.metadata or {}).get(STORE_KEY_METADATA) != key:
                continue
            if store.status == "expired":
                expired.append(store)
            elif found is None:
                found = store
        self.record.update(expired=[store.id for store in expired])
        for store in expired:
            self.log.warning(
                "Vector store %s (%s) holding store key %r %s and can no longer be used: %s; its uploads and "
                "the store itself are deleted once that store is complete",
                store.id,
                store.name,
                key,
                why(store),
                f"{found.id} replaces it"
                if found
                else "a new store replaces it, and every file is uploaded again",
            )
        if found is not None:
            self.log.info("Vector store %s (%s) holds store key %r", found.id, found.name, key)
            return str(found.id)
        options: dict[str, Any] = {"metadata": {**user_metadata, STORE_KEY_METADATA: key}}
        if settings.expires_after:
            options["expires_after"] = dict(settings.expires_after)
        created = self.hook.create_vector_store(name=settings.store_name or key, **options)
        self.log.info("Created vector store %s for store key %r", created.id, key)
        return str(created.id)

    def _check_usable(self, store_id: str) -> None:
        """A given store that expired can take no file: refused before anything is uploaded."""
        from airflow_openai.vector_stores.expired import why

        store = self.call(lambda: self.hook.get_vector_store(store_id), "Reading the vector store")
        if store.status == "expired":
            raise SyncRefused(
                f"vector store {store_id} {why(store)} and can no longer be used; give a live store, or a "
                "store_key (an expired store holding the key is replaced); nothing was uploaded"
            )

    # -- one round -------------------------------------------------------------------------------------

    def round(
        self, store_id: str, sources: list[SourceFile], round: int, tally: dict[str, Any], waited: bool
    ) -> Attaching | Finished:
        """Plan against the store as it is now, and act on it.

        Before any wait: upload and attach what the plan asks (or reattach to the file batches an
        earlier attempt made, if they are still good). After a wait: attach what is still missing
        and, in the first round only, what failed to process.
        """
        from airflow_openai.vector_stores.naming import store_tag
        from airflow_openai.vector_stores.uploads import UploadsFailed, upload_missing

        state = self.record.read()
        plan = self.plan(store_id, sources)
        items: list[Any] = []
        if not waited:
            recorded = self.recorded_batches(store_id, state)
            if recorded:
                self.log.info("Reattaching to file batches %s of an earlier attempt", ", ".join(recorded))
                self.on_batches(store_id, recorded)
                return Attaching(store_id, recorded, state.round, dict(state.tally or tally))
            tally = counts(plan, self.log)
            items = list(plan.attach)
            self.record.update(attached=[])
        elif round < MAX_ROUNDS:
            items = [item for item in plan.attach if item.change in ("added", "replaced", "unchanged")]
            again = [item for item in plan.attach if item.change == "retried"] if round == 1 else []
            if again:
                self.log.info("Attaching once more %d files that failed to process", len(again))
            for item in again:  # a failed attachment is attached again only once detached
                self.call(
                    functools.partial(self.hook.delete_vector_store_file, store_id, item.file_id), "Detaching"
                )
            items += again
            round += 1
        try:
            attach = upload_missing(
                self.hook,
                items,
                store_tag(store_id),
                dict(self.record.read().uploads),
                tally,
                concurrency=self.settings.upload_concurrency,
                record=lambda done: self.record.update(uploads=done),
                logger=self.log,
            )
        except UploadsFailed as exc:
            raise SyncIncomplete(str(exc)) from None
        self.record.update(tally=tally)
        if attach:
            return Attaching(store_id, self.attach(store_id, attach), round, tally)
        return Finished(self.finish(store_id, plan, tally))  # the plan read now is the store's final state

    def plan(self, store_id: str, sources: list[SourceFile]) -> Plan:
        """What the store holds compared with the source: see `vector_stores.plan`."""
        from airflow_openai.vector_stores.inventory import read_inventory
        from airflow_openai.vector_stores.naming import store_tag
        from airflow_openai.vector_stores.plan import plan, plan_file_ids

        attached, loose = self.call(lambda: read_inventory(self.hook, store_id), "Reading the store")
        if is_file_ids(self.settings.source):
            return plan_file_ids(self.settings.source, attached)
        return plan(sources, attached, loose, store_tag(store_id), mode=self.settings.mode)  # type: ignore[arg-type]

    def recorded_batches(self, store_id: str, state: VectorStoreRecord) -> list[str]:
        """The earlier attempt's file batches, if they can still be waited for; a cancelled one
        (a kill, a timeout, someone else) is dropped, and the plan attaches its files afresh."""
        recorded = [b for b in state.batches if b]
        if not recorded or state.store != store_id:
            return []
        statuses = [
            self.call(
                functools.partial(self.hook.get_vector_store_file_batch, store_id, b), "Reading a file batch"
            ).status
            for b in recorded
        ]
        if any(status in ("cancelled", "cancelling") for status in statuses):
            self.log.info(
                "The earlier attempt's file batches %s were cancelled; planning afresh", ", ".join(recorded)
            )
            return []
        return recorded

    def attach(self, store_id: str, file_ids: list[str]) -> list[str]:
        """File batches of at most 500 files, each recorded (with its files) as soon as it exists,
        before the next is created: a round run again reattaches to them instead."""
        batch_ids: list[str] = []
        strategy = dict(self.settings.chunking_strategy) if self.settings.chunking_strategy else None
        for start in range(0, len(file_ids), BATCH_LIMIT):
            chunk = file_ids[start : start + BATCH_LIMIT]
            batch = self.call(
                functools.partial(
                    self.hook.create_vector_store_file_batch, store_id, chunk, chunking_strategy=strategy
                ),
                "Attaching files",
            )
            batch_ids.append(batch.id)
            self.attached_now += chunk
            attached = [*self.record.read().attached, *chunk]
            self.record.update(batches=list(batch_ids), attached=attached)
            self.on_batches(store_id, list(batch_ids))
            self.log.info("File batch %s attaches %d files", batch.id, len(chunk))
        return batch_ids

    def finish(self, store_id: str, final: Plan, tally: dict[str, Any]) -> dict[str, Any]:
        """Remove what is gone and old versions whose new version completed; report (see `report`)."""
        from airflow_openai.vector_stores.report import TooManyFailed, finish

        state = self.record.read()
        attached_now = set(state.attached) | set(self.attached_now)
        self.record.update(batches=[], attached=[])
        self.on_batches(store_id, [])
        try:
            result = finish(
                self.hook,
                store_id,
                final,
                tally,
                attached_now=attached_now,
                mode=self.settings.mode,
                max_failed_fraction=self.settings.max_failed_fraction,
                call=self.call,
                expired=state.expired,
                logger=self.log,
            )
        except TooManyFailed as exc:
            self.record.update(expired=[])  # replaced before the report
            raise SyncRefused(str(exc)) from None
        self.record.update(expired=[])
        return {**result, "hidden_skipped": 0 if self.settings.include_hidden else len(self.hidden)}


def counts(plan: Plan, logger: Any = log) -> dict[str, Any]:
    """The tally a sync starts from: what its plan adds, replaces, attaches again, leaves and removes."""
    tally = {
        "added": plan.count("added"),
        "replaced": plan.count("replaced"),
        "retried": plan.count("retried"),
        "unchanged": len(plan.unchanged) + plan.count("unchanged"),
        "to_remove": len(plan.removed),
    }
    logger.info(
        "Plan: %d to add, %d to replace, %d to attach again, %d unchanged, %d to remove; %d to upload",
        tally["added"],
        tally["replaced"],
        tally["retried"],
        tally["unchanged"],
        tally["to_remove"],
        len(plan.uploads),
    )
    return tally


def is_file_ids(source: Any) -> bool:
    """Whether the source is a list of uploaded files (``file-…`` ids) rather than paths."""
    from airflow_openai.fine_tuning.staging import FILE_ID

    return (
        isinstance(source, list | tuple)
        and bool(source)
        and all(isinstance(item, str) and FILE_ID.fullmatch(item) for item in source)
    )
