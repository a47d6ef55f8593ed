"""`OpenAIVectorStoreIngestOperator`: a folder in any storage becomes an up-to-date vector store, incrementally."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_openai.links import DASHBOARD_XCOM_KEY, VECTOR_STORE_XCOM_KEY, OpenAIVectorStoreLink
from airflow_openai.operators.job import OpenAIJobOperator
from airflow_openai.vector_stores.record import VectorStoreRecord


class OpenAIVectorStoreIngestOperator(OpenAIJobOperator):
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
    task beyond ``max_failed_fraction`` (of the files attached in this run); a file that failed
    for good in an earlier run is reported in ``failed_before``, and counts against no later
    run. A file no longer wanted that another store also holds is detached, not deleted
    (``kept_shared``). A store found by its key that has expired is replaced, and its uploads
    and the store itself are deleted once the new one is complete. A retried task
    does not upload or attach twice (uploads and file batches are recorded in the task state
    store, and uploads carry their fingerprint), and only a task that is really being stopped
    cancels its file batches. Returned (XCom): ``vector_store_id``, ``added``, ``replaced``,
    ``removed``, ``unchanged``, ``failed`` (each ``{"file", "file_id", "code", "message"}``),
    ``failed_before`` (alike), ``kept_shared`` (each ``{"file", "file_id", "stores"}``),
    ``hidden_skipped``, ``uploaded``, ``usage_bytes`` and ``file_counts``.

    :param source: a glob, a list of paths/URIs, or a list of file ids (templated).
    :param vector_store_id: the store to fill (templated).
    :param store_key: a stable key naming the store instead (templated); with ``store_name``
        (default: the key), ``metadata``, ``expires_after`` used when it is created.
    :param mode: ``"sync"`` or ``"append"``.
    :param chunking_strategy: passed to the file batches, e.g. ``{"type": "static", "static":
        {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}``.
    :param max_failed_fraction: the share of files attached in this run allowed to fail.
    :param upload_concurrency: uploads at a time.
    :param include_hidden: take the hidden files a glob matches (a name under its root starting
        with a dot: ``.env``, ``.git/…``), which a glob leaves out by default; the log says how many
        were skipped.
    :param max_poll_interval: longest wait between polls, in seconds (300).

    The other waiting parameters (``deferrable``, ``poll_interval`` 5 s, ``timeout``,
    ``cancel_on_timeout``, ``cancel_on_kill``, ``outage_budget``) are those of `OpenAIJobOperator`.
    """

    template_fields: Sequence[str] = ("source", "vector_store_id", "store_key", "store_name", "metadata")
    template_fields_renderers = {"metadata": "json"}
    operator_extra_links = (OpenAIVectorStoreLink(),)
    ui_color = "#e0f0f8"
    default_max_poll_interval = 300.0
    kind_name = "file_batch"
    record_type = VectorStoreRecord

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
        include_hidden: bool = False,
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
        self.include_hidden = include_hidden
        self._engine: Any = None
        self._context: Any = None

    # -- the run -------------------------------------------------------------------------------------

    def execute(self, context: Any) -> Any:
        return self._round(context, round=1, tally={})

    def finish(self, context: Any, event: dict[str, Any], resume: dict[str, Any]) -> Any:
        """The file batches ended: go on with the sync where the wait left it (the round and the
        counts so far come from the wait, or the task state store).

        A batch whose every file failed ends the wait `failed`: that is per-file news, which the
        report gives file by file (after one more try), not a reason to stop; the others are
        waited for. A cancelled batch ends the task.
        """
        state = self.record(context).read()
        round = int(resume.get("round") or state.round)
        tally = dict(resume.get("tally") or state.tally)
        store_id, batch_ids = str(event["vector_store_id"]), list(event["batch_ids"])
        seen = event.get("statuses") or {}
        statuses = {batch_id: seen.get(batch_id, "") for batch_id in batch_ids}  # unseen: still going
        if event["status"] == "failed" and not any(
            s in ("cancelled", "cancelling") for s in statuses.values()
        ):
            unfinished = [batch_id for batch_id, s in statuses.items() if s not in ("completed", "failed")]
            if unfinished:
                return self._wait(context, store_id, unfinished, round, tally, resume.get("started_at"))
        elif event["status"] != "success":
            raise AirflowException(
                f"Waiting for {self.plugin.describe(event['ref'])} ended with {event['status']}: {event['message']}"
            )
        return self._round(context, round=round, tally=tally, waited=True)

    def lineage_plan(self) -> Any:
        """The source folders or objects read; the store, once known, is the output."""
        from airflow_openai.lineage import RemoteObject, TaskReport, source_locations

        locations, file_ids = source_locations(self.source)
        report = TaskReport(inputs=locations, remote_inputs=[RemoteObject("file", f) for f in file_ids])
        if self.vector_store_id:
            report.remote_outputs.append(RemoteObject("vector_store", str(self.vector_store_id)))
        return report

    def lineage_report(self, result: Any) -> Any:
        from airflow_openai.lineage import RemoteObject

        report = self.lineage_plan()
        if not isinstance(result, dict) or not result.get("vector_store_id"):
            return report
        store_id = str(result["vector_store_id"])
        report.remote_outputs = [RemoteObject("vector_store", store_id)]
        failed = len(result.get("failed") or [])
        counts = {key: int(result.get(key) or 0) for key in ("added", "replaced", "removed", "unchanged")}
        report.facts.update(
            vector_store_id=store_id, request_counts={**counts, "failed": failed}, failed=failed
        )
        report.facts["count"] = counts["added"] + counts["replaced"]
        return report

    def timed_out(self, context: Any, ref: dict[str, Any]) -> None:
        """Cancelled batches are not waited for again: a later try plans their files afresh."""
        try:
            super().timed_out(context, ref)
        except AirflowFailException:  # raised only once every batch was cancelled
            self.record(context).update(batches=[])
            raise

    # -- one round: plan, upload, attach, wait; then tidy up ---------------------------------------------

    def _round(self, context: Any, round: int, tally: dict[str, Any], waited: bool = False) -> Any:
        """One round of the sync (see `vector_stores.sync`): plan against the store as it is now,
        upload and attach what is missing, then wait for the file batches and go on; or, when
        nothing is left to attach, tidy up and report."""
        from airflow_openai.vector_stores.sync import Attaching, SyncIncomplete, SyncRefused

        self.remember_task(context)
        self._context = context
        sync = self._sync(context)
        try:
            sources = sync.scan()  # a bad source changes nothing
            store_id = sync.store()
            context["ti"].xcom_push(key=VECTOR_STORE_XCOM_KEY, value=store_id)
            context["ti"].xcom_push(key=DASHBOARD_XCOM_KEY, value=self.hook.settings.dashboard_url or "")
            step = sync.round(store_id, sources, round, tally, waited)
        except SyncRefused as exc:
            raise AirflowFailException(str(exc)) from None
        except SyncIncomplete as exc:
            raise AirflowException(str(exc)) from None
        if isinstance(step, Attaching):
            return self._wait(context, step.store_id, step.batch_ids, step.round, step.tally)
        return step.result

    def _sync(self, context: Any) -> Any:
        """This attempt's sync (one per context, so without a task state store its record lives in
        memory across the attempt's rounds), with its record under the task state store."""
        from airflow_openai.vector_stores.sync import SyncSettings, VectorStoreSync

        if self._engine is None or self._engine[0] is not context:

            def heard(store_id: str, batch_ids: list[str]) -> None:
                self._ref = {"ids": list(batch_ids), "vector_store_id": store_id}  # what on_kill cancels

            settings = SyncSettings(
                source=self.source,
                vector_store_id=self.vector_store_id,
                store_key=self.store_key,
                store_name=self.store_name,
                metadata=self.metadata,
                expires_after=self.expires_after,
                mode=self.mode,
                chunking_strategy=self.chunking_strategy,
                max_failed_fraction=self.max_failed_fraction,
                upload_concurrency=self.upload_concurrency,
                outage_budget=self.outage_budget,
                include_hidden=self.include_hidden,
            )
            record = self.record(context)
            sync = VectorStoreSync(self.hook, settings, record, logger=self.log, on_batches=heard)
            self._engine = (context, sync)
        return self._engine[1]

    # -- waiting -------------------------------------------------------------------------------------

    def _wait(
        self,
        context: Any,
        store_id: str,
        batch_ids: list[str],
        round: int,
        tally: dict[str, Any],
        started_at: float | None = None,
    ) -> Any:
        """Wait for a round's file batches; waiting on for the rest of them, after one whose every
        file failed, keeps the round's `started_at` (and so its timeout)."""
        self.record(context).update(round=round, tally=tally)
        ref = {"ids": list(batch_ids), "vector_store_id": store_id}
        started_at = started_at or time.time()
        resume = {"round": round, "tally": tally, "started_at": started_at}
        return self.wait_for(context, ref, started_at=started_at, resume=resume)
