"""`OpenAIVectorStoreIngestOperator`: a folder in any storage becomes an up-to-date vector store, incrementally."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from airflow.sdk import conf
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_openai.links import DASHBOARD_XCOM_KEY, VECTOR_STORE_XCOM_KEY, OpenAIVectorStoreLink
from airflow_openai.operators.base import OpenAIBaseOperator
from airflow_openai.outage import DEFAULT_OUTAGE_BUDGET, OutageExceeded, waited_out
from airflow_openai.vector_stores.parameters import STORE_KEY_METADATA

STATE_KEY = "openai_vector_store"
BATCH_LIMIT = 500
"""The API's limit on the files of one file batch."""
MAX_ROUNDS = 3
"""Attach, then attach once more what failed, then what is still missing: the most a run waits."""


class OpenAIVectorStoreIngestOperator(OpenAIBaseOperator):
    """Keep a vector store in step with a folder: upload what is new or changed, remove what is gone.

    ``source`` is a glob over a local folder or any object storage URI
    (``s3://bucket/docs/**/*.md``), a list of paths, or a list of file ids. The store is given
    by ``vector_store_id``, or by a stable ``store_key``: the store carrying that key in its
    metadata is found again on every run (names are not unique), and created when missing.

    With ``mode="sync"`` (the default with a ``store_key``), each file is uploaded under a
    name carrying its path and a fingerprint of its content, so a run uploads only new or
    changed files; a changed file's new version is attached and completed before the old one
    is removed, so the store never lacks the document in between; files gone from the source
    are detached and deleted. A second run over an unchanged folder uploads nothing and makes
    no file batch. ``mode="append"`` (the default with a ``vector_store_id``) only adds. A
    list of file ids is attached as it is. Files in the store that a sync did not upload are
    never touched.

    Uploads run side by side (purpose ``assistants``); attachments go in file batches of at
    most 500, with ``chunking_strategy``; the task waits in the worker or, with
    ``deferrable=True``, in the triggerer. Files that fail to process are attached once more;
    those that still fail are reported with their name and the service's reason, and fail the
    task beyond ``max_failed_fraction`` (of the files attached in this run). A retried task
    does not upload or attach twice (uploads and file batches are recorded in the task state
    store, and uploads carry their fingerprint), and only a task that is really being stopped
    cancels its file batches. Returned (XCom): ``vector_store_id``, ``added``, ``replaced``,
    ``removed``, ``unchanged``, ``failed`` (each ``{"file", "file_id", "code", "message"}``),
    ``uploaded``, ``file_batches``, ``usage_bytes`` and ``file_counts``.

    :param source: a glob, a list of paths/URIs, or a list of file ids (templated).
    :param vector_store_id: the store to fill (templated).
    :param store_key: a stable key naming the store instead (templated); with ``store_name``
        (default: the key), ``metadata``, ``expires_after`` used when it is created.
    :param mode: ``"sync"`` or ``"append"``.
    :param chunking_strategy: passed to the file batches, e.g. ``{"type": "static", "static":
        {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}``.
    :param max_failed_fraction: the share of files attached in this run allowed to fail.
    :param upload_concurrency: uploads at a time.
    :param deferrable: wait in the triggerer (default from ``[operators] default_deferrable``).
    :param poll_interval: shortest wait between polls, in seconds.
    :param timeout: seconds to wait for the file batches before giving up (they are cancelled).
    :param cancel_on_kill: cancel the file batches when the task is really stopped.
    :param outage_budget: seconds without a successful call to the API before the wait gives up.
    """

    state_key = STATE_KEY
    template_fields: Sequence[str] = ("source", "vector_store_id", "store_key", "store_name", "metadata")
    template_fields_renderers = {"metadata": "json"}
    operator_extra_links = (OpenAIVectorStoreLink(),)
    ui_color = "#e0f0f8"

    def __init__(
        self,
        *,
        source: str | list[str],
        vector_store_id: str | None = None,
        store_key: str | None = None,
        store_name: str | None = None,
        metadata: Mapping[str, str] | None = None,
        expires_after: Mapping[str, Any] | None = None,
        mode: str | None = None,
        chunking_strategy: Mapping[str, Any] | None = None,
        max_failed_fraction: float = 0.0,
        upload_concurrency: int = 8,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 5.0,
        max_poll_interval: float = 300.0,
        timeout: float | None = None,
        cancel_on_kill: bool = True,
        outage_budget: float = DEFAULT_OUTAGE_BUDGET,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (vector_store_id is None) == (store_key is None):
            raise ValueError("give exactly one of vector_store_id or store_key")
        mode = mode or ("sync" if store_key is not None else "append")
        if mode not in ("sync", "append"):
            raise ValueError(f"mode must be 'sync' or 'append', not {mode!r}")
        if not 0.0 <= max_failed_fraction <= 1.0:
            raise ValueError("max_failed_fraction is a share between 0 and 1")
        from airflow_openai.batch.requests import has_template
        from airflow_openai.vector_stores import parameters

        # What the API would refuse fails the DAG's import, before anything is uploaded.
        parameters.check_chunking_strategy(chunking_strategy)
        parameters.check_expires_after(expires_after)
        if not has_template(metadata):
            parameters.check_store_metadata(metadata)
        self.source = source
        self.vector_store_id = vector_store_id
        self.store_key = store_key
        self.store_name = store_name
        self.metadata = dict(metadata) if metadata else None
        self.expires_after = dict(expires_after) if expires_after else None
        self.mode = mode
        self.chunking_strategy = dict(chunking_strategy) if chunking_strategy else None
        self.max_failed_fraction = max_failed_fraction
        self.upload_concurrency = upload_concurrency
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.timeout = timeout
        self.cancel_on_kill = cancel_on_kill
        self.outage_budget = outage_budget
        self._identity: Any = None
        self._store_id: str | None = None
        self._batches: list[str] = []
        self._attached: list[str] = []
        self._context: Any = None

    # -- the run -------------------------------------------------------------------------------------

    def execute(self, context: Any) -> Any:
        return self._round(context, round=1, tally={})

    def execute_complete(
        self,
        context: Any,
        event: dict[str, Any],
        round: int | None = None,
        tally: dict[str, Any] | None = None,
    ) -> Any:
        """Resume after the trigger fired: go on with the sync where the wait left it (the round
        and the counts so far come from the task state store, or the deferral's kwargs)."""
        state = self._state(context)
        round = round or int(state.get("round") or 1)
        tally = tally or dict(state.get("tally") or {})
        self._store_id = str(event["vector_store_id"])
        self._batches = list(event["batch_ids"])
        tally = dict(tally or {})
        seen = event.get("statuses") or {}
        statuses = {batch_id: seen.get(batch_id, "") for batch_id in self._batches}  # unseen: still going
        unfinished = self._finish_wait(event["status"], event["message"], statuses)
        if unfinished:  # a batch whose every file failed ended the wait early: wait for the others
            return self._wait(context, self._store_id, unfinished, round, tally)
        return self._round(context, round=round, tally=tally, waited=True)

    def on_kill(self) -> None:
        """Cancel this attempt's file batches only if the task is really being stopped."""
        from airflow_openai.stopping import kill_verdict
        from airflow_openai.task_state import UNKNOWN, current_state

        if not self._batches or self._store_id is None:
            return
        if not self.cancel_on_kill:
            self.log.info("Not cancelling file batches %s: cancel_on_kill is off", ", ".join(self._batches))
            return
        identity = self._identity
        state = UNKNOWN
        if identity is not None:
            state = current_state(identity.dag_id, identity.task_id, identity.run_id, identity.map_index)
        verdict = kill_verdict(*state, in_worker=True)
        if verdict.cancel:
            self.log.info("Cancelling file batches %s: %s", ", ".join(self._batches), verdict.why)
            self._cancel(self._batches)
        else:
            self.log.info("Not cancelling file batches %s: %s", ", ".join(self._batches), verdict.why)

    # -- one round: plan, upload, attach, wait; then tidy up ---------------------------------------------

    def _round(self, context: Any, round: int, tally: dict[str, Any], waited: bool = False) -> Any:
        """Plan against the store as it is now, and act on it.

        Before any wait: upload and attach what the plan asks (or reattach to the file batches an
        earlier attempt made, if they are still good). After a wait: attach what is still missing
        (files a dead attempt never attached, or changed meanwhile) and, once, what failed to
        process; at most `MAX_ROUNDS` rounds. When nothing is left to attach: tidy up and report.
        """
        from airflow_openai.batch.identity import TaskIdentity

        self._identity = TaskIdentity.from_context(context)
        self._context = context
        state = self._state(context)
        sources = [] if _is_file_ids(self.source) else self._scan()  # a bad source changes nothing
        store_id = self._store(context, state)
        plan = self._plan(store_id, sources)
        items: list[Any] = []
        if not waited:
            recorded = self._recorded_batches(store_id, state)
            if recorded:
                self.log.info("Reattaching to file batches %s of an earlier attempt", ", ".join(recorded))
                round = int(state.get("round") or round)
                return self._wait(context, store_id, recorded, round, dict(state.get("tally") or tally))
            tally = self._counts(plan)
            items = list(plan.attach)
            self._save(context, attached=[])
        elif round < MAX_ROUNDS:
            items = [item for item in plan.attach if item.change in ("added", "replaced", "unchanged")]
            again = [item for item in plan.attach if item.change == "retried"] if round == 1 else []
            if again:
                self.log.info("Attaching once more %d files that failed to process", len(again))
            for item in again:  # a failed attachment is attached again only once detached
                self._call(
                    lambda f=item.file_id: self.hook.delete_vector_store_file(store_id, f), "Detaching"
                )
            items += again
            round += 1
        attach = self._uploaded(context, store_id, items, state, tally)
        self._save(context, tally=tally)
        if attach:
            return self._wait(context, store_id, self._attach(context, store_id, attach), round, tally)
        return self._finish(context, store_id, plan, tally)  # the plan read now is the store's final state

    def _recorded_batches(self, store_id: str, state: dict[str, Any]) -> list[str]:
        """The earlier attempt's file batches, if they can still be waited for; a cancelled one
        (a kill, a timeout, someone else) is dropped, and the plan attaches its files afresh."""
        recorded = [b for b in state.get("batches") or [] if b]
        if not recorded or state.get("store") != store_id:
            return []
        statuses = [
            self._call(
                lambda b=b: self.hook.get_vector_store_file_batch(store_id, b), "Reading a file batch"
            ).status
            for b in recorded
        ]
        if any(status in ("cancelled", "cancelling") for status in statuses):
            self.log.info(
                "The earlier attempt's file batches %s were cancelled; planning afresh", ", ".join(recorded)
            )
            return []
        return recorded

    def _plan(self, store_id: str, sources: list[Any]) -> Any:
        """What the store holds compared with the source: see `vector_stores.plan`."""
        from airflow_openai.vector_stores.inventory import read_inventory
        from airflow_openai.vector_stores.naming import store_tag
        from airflow_openai.vector_stores.plan import plan, plan_file_ids

        attached, loose = self._call(lambda: read_inventory(self.hook, store_id), "Reading the store")
        if _is_file_ids(self.source):
            return plan_file_ids(self.source, attached)
        return plan(sources, attached, loose, store_tag(store_id), mode=self.mode)  # type: ignore[arg-type]

    def _scan(self) -> list[Any]:
        from airflow_openai.vector_stores.source import scan

        try:
            sources = scan(self.source)
        except (OSError, ValueError) as exc:
            raise AirflowFailException(
                f"source {self.source!r} cannot be read: {exc}; nothing was changed"
            ) from None
        if not sources:
            raise AirflowFailException(f"no file matches source {self.source!r}; nothing was changed")
        self.log.info("Source: %d files", len(sources))
        return sources

    def _counts(self, plan: Any) -> dict[str, Any]:
        counts = {
            "added": plan.count("added"),
            "replaced": plan.count("replaced"),
            "retried": plan.count("retried"),
            "unchanged": len(plan.unchanged) + plan.count("unchanged"),
            "to_remove": len(plan.removed),
        }
        self.log.info(
            "Plan: %d to add, %d to replace, %d to attach again, %d unchanged, %d to remove; %d to upload",
            counts["added"],
            counts["replaced"],
            counts["retried"],
            counts["unchanged"],
            counts["to_remove"],
            len(plan.uploads),
        )
        return counts

    # -- the store -------------------------------------------------------------------------------------

    def _store(self, context: Any, state: dict[str, Any]) -> str:
        """The store's id: given, recorded by an earlier attempt, found by its key, or created."""
        if self.vector_store_id:
            store_id = str(self.vector_store_id)
        elif state.get("store"):
            store_id = str(state["store"])
        else:
            store_id = self._call(self._find_or_create, "Finding the vector store")
        self._store_id = store_id
        self._save(context, store=store_id)
        context["ti"].xcom_push(key=VECTOR_STORE_XCOM_KEY, value=store_id)
        context["ti"].xcom_push(key=DASHBOARD_XCOM_KEY, value=self.hook.settings.dashboard_url or "")
        return store_id

    def _find_or_create(self) -> str:
        from airflow_openai.vector_stores.parameters import check_store_metadata

        key = str(self.store_key)
        try:
            user_metadata = check_store_metadata(self.metadata)  # as rendered
        except ValueError as exc:
            raise AirflowFailException(f"{exc}; nothing was created") from None
        for store in self.hook.list_vector_stores(limit=100):
            if (store.metadata or {}).get(STORE_KEY_METADATA) == key and store.status != "expired":
                self.log.info("Vector store %s (%s) holds store key %r", store.id, store.name, key)
                return str(store.id)
        metadata = {**user_metadata, STORE_KEY_METADATA: key}
        options: dict[str, Any] = {"metadata": metadata}
        if self.expires_after:
            options["expires_after"] = self.expires_after
        created = self.hook.create_vector_store(name=self.store_name or key, **options)
        self.log.info("Created vector store %s for store key %r", created.id, key)
        return str(created.id)

    # -- uploads and attachments ---------------------------------------------------------------------

    def _uploaded(
        self, context: Any, store_id: str, items: list[Any], state: dict[str, Any], tally: dict[str, Any]
    ) -> list[str]:
        """The ids of `items` to attach, uploading those not uploaded yet, side by side.

        A file the Files API would refuse (empty) or does refuse (a 4xx for that file) is a
        failure of that file, reported with its reason, not of the sync. Uploads are recorded
        in the task state store as they land (every 100, and at the end), so a retry skips them.
        """
        from airflow_openai.client.errors import APIStatusError
        from airflow_openai.vector_stores.naming import store_tag

        tag = store_tag(store_id)
        done: dict[str, str] = dict(state.get("uploads") or {})
        refused: list[dict[str, Any]] = list(tally.get("refused") or [])
        already = {entry["file"] for entry in refused}  # refused in an earlier round: not tried again
        items = [item for item in items if item.file_id or item.source.relative_path not in already]
        empty = [item for item in items if item.file_id is None and item.source.size == 0]
        refused += [
            _refusal(item, "invalid_file", "the file is empty; the Files API refuses empty files")
            for item in empty
        ]
        todo = [
            item
            for item in items
            if item.file_id is None and item.source.size > 0 and item.source.upload_name(tag) not in done
        ]
        if todo:
            self.log.info("Uploading %d files, %d at a time", len(todo), self.upload_concurrency)
        failures: dict[str, BaseException] = {}
        landed = 0
        with ThreadPoolExecutor(max_workers=max(1, self.upload_concurrency)) as pool:
            running = {
                pool.submit(
                    self.hook.upload_file,
                    item.source.location,
                    "assistants",
                    filename=item.source.upload_name(tag),
                ): item
                for item in todo
            }
            try:
                for count, future in enumerate(as_completed(running), start=1):
                    item = running[future]
                    error = future.exception()
                    if (
                        isinstance(error, APIStatusError)
                        and 400 <= error.status_code < 500
                        and error.status_code not in (401, 403, 408, 429)
                    ):
                        refused.append(_refusal(item, error.code or "upload_refused", str(error)))
                    elif error is not None:
                        failures[item.source.relative_path] = error
                    else:
                        done[item.source.upload_name(tag)] = future.result().id
                        landed += 1
                    if count % 100 == 0:
                        self._save(context, uploads=dict(done))
            finally:
                self._save(context, uploads=dict(done))
        tally["uploaded"] = tally.get("uploaded", 0) + landed
        tally["refused"] = refused
        if failures:
            details = "; ".join(f"{path}: {exc}" for path, exc in sorted(failures.items())[:10])
            raise AirflowException(
                f"{len(failures)} of {len(todo)} uploads failed ({details}); the others are kept, and a "
                "retry uploads only the rest"
            )
        skipped = {entry["file"] for entry in refused}
        return [
            item.file_id or done[item.source.upload_name(tag)]
            for item in items
            if item.file_id or item.source.relative_path not in skipped
        ]

    def _attach(self, context: Any, store_id: str, file_ids: list[str]) -> list[str]:
        """File batches of at most 500 files, recorded as each is created."""
        batch_ids: list[str] = []
        for start in range(0, len(file_ids), BATCH_LIMIT):
            chunk = file_ids[start : start + BATCH_LIMIT]
            batch = self._call(
                lambda chunk=chunk: self.hook.create_vector_store_file_batch(
                    store_id, chunk, chunking_strategy=self.chunking_strategy
                ),
                "Attaching files",
            )
            batch_ids.append(batch.id)
            self._batches = list(batch_ids)
            self._attached += chunk
            attached = [*(self._state(context).get("attached") or []), *chunk]
            self._save(context, batches=list(batch_ids), attached=attached)
            self.log.info("File batch %s attaches %d files", batch.id, len(chunk))
        return batch_ids

    # -- waiting -------------------------------------------------------------------------------------

    def _wait(
        self, context: Any, store_id: str, batch_ids: list[str], round: int, tally: dict[str, Any]
    ) -> Any:
        from airflow_openai.pacing import PollPacing

        self._batches = list(batch_ids)
        self._save(context, round=round, tally=tally)
        pacing = PollPacing(
            minimum=self.poll_interval, maximum=self.max_poll_interval, outage_budget=self.outage_budget
        )
        started_at = time.time()
        deadline = started_at + self.timeout if self.timeout else None
        if self.deferrable:
            from airflow_openai.triggers.vector_stores import OpenAIVectorStoreFileBatchTrigger

            trigger = OpenAIVectorStoreFileBatchTrigger(
                vector_store_id=store_id,
                batch_ids=batch_ids,
                openai_conn_id=self.openai_conn_id,
                started_at=started_at,
                deadline=deadline,
                pacing=pacing.to_dict(),
                cancel_on_kill=self.cancel_on_kill,
            )
            self.defer(
                trigger=trigger, method_name="execute_complete", kwargs={"round": round, "tally": tally}
            )
        from airflow_openai.hooks.vector_store_wait import FileBatchTimeout

        pending = list(batch_ids)
        while pending:  # the wait returns early on a batch whose every file failed: go on with the others
            try:
                final = self.hook.wait_for_vector_store_file_batches(
                    store_id,
                    pending,
                    started_at=started_at,
                    deadline=deadline,
                    pacing=pacing,
                    on_progress=lambda a: self.log.info(a.message),
                )
            except FileBatchTimeout:
                self._finish_wait("timeout", "the file batches did not finish before the timeout", {})
            except OutageExceeded as exc:
                raise AirflowException(
                    f"{exc}; the file batches keep processing, and a retry reattaches to them"
                ) from None
            failed = [a for a in final.values() if a.outcome == "failed"]
            statuses = {batch_id: final[batch_id].status if batch_id in final else "" for batch_id in pending}
            pending = self._finish_wait(
                "failed" if failed else "success", "; ".join(a.message for a in failed), statuses
            )
        return self._round(context, round=round, tally=tally, waited=True)

    def _finish_wait(self, status: str, message: str, statuses: Mapping[str, str] | None = None) -> list[str]:
        """What to do once a wait ends: go on (returns the batches still to wait for, if any), or
        end the task on a timeout, a cancellation or an error.

        A batch whose every file failed ends `failed`: that is per-file news, which the report
        gives file by file (after one more try), not a reason to stop.
        """
        statuses = dict(statuses or {})
        if (
            status == "failed"
            and statuses
            and not any(s in ("cancelled", "cancelling") for s in statuses.values())
        ):
            return [batch_id for batch_id, s in statuses.items() if s not in ("completed", "failed")]
        if status == "timeout":
            self._cancel(self._batches)
            self._forget_batches()
            raise AirflowFailException(
                f"File batches {', '.join(self._batches)} did not finish within {self.timeout}s; they were cancelled"
            )
        if status != "success":
            raise AirflowException(
                f"Waiting for file batches {', '.join(self._batches)} ended with {status}: {message}"
            )
        return []

    # -- the end: remove what is gone or replaced, report --------------------------------------------

    def _finish(self, context: Any, store_id: str, final: Any, tally: dict[str, Any]) -> dict[str, Any]:
        """Remove what is gone, and old versions whose new version has completed (an old version
        whose new one failed stays); report every failure with its reason."""
        attached_now = set(self._state(context).get("attached") or []) | set(self._attached)
        self._save(context, batches=[], attached=[])
        self._batches = []
        indexed = set(final.unchanged)
        removals = {path: ids for path, ids in final.replaced_versions.items() if path in indexed}
        removals |= dict(final.removed)
        for path, file_ids in removals.items():
            for file_id in file_ids:
                self._call(lambda f=file_id: self._remove(store_id, f), f"Removing {path}")
        failed = [
            {"file": item.source.relative_path, "file_id": item.file_id}
            for item in final.attach
            if item.change == "retried"
        ] + [{"file": _path_of(f), "file_id": f.file_id} for f in final.settled_failures]
        reasons = self._reasons(store_id, failed) + list(tally.get("refused") or [])
        store = self._call(lambda: self.hook.get_vector_store(store_id), "Reading the store")
        result = {
            "vector_store_id": store_id,
            "added": tally.get("added", 0),
            "replaced": tally.get("replaced", 0),
            "removed": len(final.removed) if self.mode == "sync" else 0,
            "unchanged": tally.get("unchanged", 0),
            "failed": reasons,
            "uploaded": tally.get("uploaded", 0),
            "usage_bytes": store.usage_bytes,
            "file_counts": store.file_counts.model_dump(),
        }
        self.log.info(
            "Vector store %s: %d added, %d replaced, %d removed, %d unchanged, %d failed; %d bytes",
            store_id,
            result["added"],
            result["replaced"],
            result["removed"],
            result["unchanged"],
            len(reasons),
            store.usage_bytes,
        )
        for failure in reasons:
            self.log.warning(
                "%s (%s) failed: %s: %s",
                failure["file"],
                failure["file_id"],
                failure["code"],
                failure["message"],
            )
        # Only files this run attached (or could not upload) count against max_failed_fraction; a
        # file that failed for good in an earlier run is reported, not held against this one.
        counted = [r for r in reasons if r["file_id"] is None or r["file_id"] in attached_now]
        attempted = len(attached_now) + len(tally.get("refused") or [])
        if counted and len(counted) > self.max_failed_fraction * attempted:
            raise AirflowFailException(
                f"{len(counted)} of {attempted} files failed to process, more than max_failed_fraction="
                f"{self.max_failed_fraction}: "
                + "; ".join(f"{f['file']}: {f['code']}: {f['message']}" for f in counted[:10])
            )
        return result

    def _forget_batches(self) -> None:
        """Cancelled batches are not waited for again: a retry plans their files afresh."""
        if self._context is not None:
            self._save(self._context, batches=[])

    def _remove(self, store_id: str, file_id: str) -> None:
        """Detach a file this sync uploaded and delete it; one already gone is fine."""
        from airflow_openai.client.errors import NotFoundError

        for step in (
            lambda: self.hook.delete_vector_store_file(store_id, file_id),
            lambda: self.hook.delete_file(file_id),
        ):
            with contextlib.suppress(NotFoundError):
                step()

    def _reasons(self, store_id: str, failed: list[dict[str, Any]]) -> list[dict[str, Any]]:
        reasons = []
        for item in failed:
            attachment = self._call(
                lambda f=item["file_id"]: self.hook.get_vector_store_file(store_id, f),
                "Reading a failed file",
            )
            error = attachment.last_error
            reasons.append(
                {
                    **item,
                    "code": (error.code if error else None) or attachment.status,
                    "message": (error.message if error else None) or f"the file was {attachment.status}",
                }
            )
        return reasons

    # -- plumbing ------------------------------------------------------------------------------------

    def _call(self, step: Any, what: str) -> Any:
        return waited_out(step, what, budget=self.outage_budget)

    def _cancel(self, batch_ids: list[str]) -> None:
        for batch_id in batch_ids:
            try:
                batch = self.hook.cancel_vector_store_file_batch(str(self._store_id), batch_id)
                self.log.info("Cancelled file batch %s (now %s)", batch_id, batch.status)
            except Exception as exc:  # best effort: a finished batch refuses it
                self.log.warning("Could not cancel file batch %s: %s", batch_id, exc)


def _path_of(attachment: Any) -> str:
    from airflow_openai.vector_stores.naming import parse

    name = parse(attachment.filename)
    return name.relative_path if name is not None else str(attachment.file_id)


def _refusal(item: Any, code: str, message: str) -> dict[str, Any]:
    return {"file": item.source.relative_path, "file_id": None, "code": code, "message": message}


def _is_file_ids(source: Any) -> bool:
    from airflow_openai.fine_tuning.staging import FILE_ID

    return (
        isinstance(source, list | tuple)
        and bool(source)
        and all(isinstance(item, str) and FILE_ID.fullmatch(item) for item in source)
    )
