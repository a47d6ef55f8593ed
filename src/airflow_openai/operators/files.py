"""Operators that move files between storage and OpenAI, and clean up what piles up there."""

from __future__ import annotations

import ast
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_openai.operators.base import OpenAIBaseOperator, check_output_writable

UPLOADS_STATE_KEY = "openai_uploads"


class OpenAIUploadFileOperator(OpenAIBaseOperator):
    """Upload one file, a list, or a glob (local or object storage) to OpenAI, several at a time.

    Large files go through the Uploads API in parallel parts in bounded memory (see
    `OpenAIHook.upload_file`). Returns ``{"file_ids": [...], "files": {source: file_id}}``, and
    pushes the ids alone under the XCom key ``file_ids``, so ``upload.output["file_ids"]``
    feeds the next task.
    A retried task does not upload again what an earlier attempt already uploaded: ids
    are kept in the task state store, or else matched by filename, size and purpose
    among the files created since the DAG run started.

    :param source: a path or URI, a glob such as ``s3://bucket/train/*.jsonl``, or a list of them.
    :param purpose: ``batch``, ``fine-tune``, ``assistants`` or ``vision``.
    :param file_concurrency: files uploaded at once.
    :param part_size: bytes per part for large files (5 to 64 MB).
    :param concurrency: parts in flight at once, across all large files: memory stays near
        ``concurrency × part_size`` however many files upload side by side.
    :param md5: send each large file's md5 so OpenAI checks every byte arrived (about 2 s of
        worker CPU per GB).
    """

    template_fields: Sequence[str] = ("source", "purpose")

    def __init__(
        self,
        *,
        source: str | list[str],
        purpose: str,
        file_concurrency: int = 4,
        part_size: int = 64 * 1024 * 1024,
        concurrency: int = 4,
        md5: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.purpose = purpose
        self.file_concurrency = file_concurrency
        self.part_size = part_size
        self.concurrency = concurrency
        self.md5 = md5

    def _check_every_source(self, sources: list[str]) -> None:
        """Refuse the whole upload when any file would be refused, before the first is sent; a file
        name that is not UTF-8 text (read with `surrogateescape`) too: the API could not be sent it."""
        from airflow_openai.client.text import text_fault
        from airflow_openai.transfers.checks import InvalidUpload, check_source

        problems = []
        for source in sources:
            shown = source.encode("utf-8", "backslashreplace").decode("utf-8")  # loggable as it is
            fault = text_fault(os.path.basename(source.rstrip("/")))
            if fault is not None:
                problems.append(f"{shown}: the file name {fault}, and the API takes names as UTF-8 text")
                continue
            try:
                check_source(source, self.purpose)
            except (InvalidUpload, ValueError) as exc:
                problems.append(f"{shown}: {exc}")
        if problems:
            raise AirflowFailException(
                f"{len(problems)} of {len(sources)} files would be refused, so none was uploaded: "
                + "; ".join(problems)
            )

    def execute(self, context: Any) -> dict[str, Any]:
        from airflow_openai.transfers.part_buffers import PartBuffers
        from airflow_openai.transfers.sources import expand
        from airflow_openai.transfers.uploader import UploadSettings

        sources = expand(self.source)
        if not sources:
            raise AirflowException(f"no file matches {self.source!r}")
        store = context.get("task_state_store")
        done: dict[str, str] = dict((store.get(UPLOADS_STATE_KEY) if store is not None else None) or {})
        if store is None:
            done.update(self._found_from_earlier_attempt(context, sources))
        todo = [source for source in sources if source not in done]
        if len(todo) < len(sources):
            self.log.info(
                "%d of %d files were uploaded by an earlier attempt; not uploading them again",
                len(sources) - len(todo),
                len(sources),
            )
        self._check_every_source(todo)
        settings = UploadSettings(part_size=self.part_size, concurrency=self.concurrency, md5=self.md5)
        buffers = PartBuffers(self.concurrency, self.part_size)  # shared: memory does not grow with files
        self._stop = threading.Event()
        failures: dict[str, BaseException | None] = {}
        with ThreadPoolExecutor(max_workers=max(1, self.file_concurrency)) as pool:
            running = {
                pool.submit(
                    self.hook.upload_file,
                    source,
                    self.purpose,
                    settings=settings,
                    stop=self._stop,
                    buffers=buffers,
                ): source
                for source in todo
            }
            for future in as_completed(running):  # recorded from this thread, as each upload ends
                source = running[future]
                if future.exception() is not None:
                    failures[source] = future.exception()
                    continue
                uploaded = future.result()
                done[source] = uploaded.id
                if store is not None:
                    store.set(UPLOADS_STATE_KEY, dict(done))
                self.log.info("Uploaded %s as %s (%d bytes)", source, uploaded.id, uploaded.bytes)
        if failures:
            details = "; ".join(f"{source}: {exc}" for source, exc in failures.items())
            raise AirflowException(f"{len(failures)} of {len(sources)} uploads failed: {details}")
        file_ids = [done[source] for source in sources]
        ti = context.get("ti")
        if ti is not None:
            ti.xcom_push(key="file_ids", value=file_ids)
        return {"file_ids": file_ids, "files": {source: done[source] for source in sources}}

    def lineage_plan(self) -> Any:
        from airflow_openai.lineage import TaskReport, source_locations

        return TaskReport(inputs=source_locations(self.source)[0])

    def lineage_report(self, result: Any) -> Any:
        """Each file read and the API file it became."""
        from airflow_openai.lineage import RemoteObject, TaskReport

        if not isinstance(result, dict):
            return None
        files = dict(result.get("files") or {})
        return TaskReport(
            inputs=list(files),
            remote_outputs=[RemoteObject("file", file_id) for file_id in files.values()],
            facts={"file_ids": list(files.values()), "count": len(files)},
        )

    def on_kill(self) -> None:
        """Large uploads stop after the parts in flight and are cancelled on OpenAI; none is left pending."""
        stop = getattr(self, "_stop", None)
        if stop is not None:
            stop.set()

    def _found_from_earlier_attempt(self, context: Any, sources: list[str]) -> dict[str, str]:
        """Without a state store: files of this purpose, created since the run started, with the same name and size."""
        ti = context.get("ti")
        if ti is None or getattr(ti, "try_number", 1) <= 1:
            return {}
        dag_run = context.get("dag_run")
        since = (
            dag_run.start_date.timestamp()
            if dag_run is not None and dag_run.start_date
            else time.time() - 86400
        )
        existing = [f for f in self.hook.list_files(purpose=self.purpose) if f.created_at >= since]
        found = {}
        for source in sources:
            name, size = os.path.basename(source.rstrip("/")), _size(source)
            match = next((f for f in existing if f.filename == name and f.bytes == size), None)
            if match is not None:
                found[source] = match.id
        return found


class OpenAIDownloadFileOperator(OpenAIBaseOperator):
    """Download OpenAI files to a local path or object storage, streamed in constant memory.

    One id and a destination not ending in ``/``: the file is written there. Otherwise
    each file goes into the destination folder as ``<file_id>-<filename>``. Returns
    ``{file_id: destination}``.
    """

    template_fields: Sequence[str] = ("file_ids", "destination")

    def __init__(self, *, file_ids: str | list[str], destination: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.file_ids = file_ids
        self.destination = destination

    def execute(self, context: Any) -> dict[str, str]:
        ids = _id_list(self.file_ids)
        one_file = len(ids) == 1 and not str(self.destination).endswith("/")
        check_output_writable(
            self.destination, folder=not one_file, name="destination", nothing="nothing was downloaded"
        )
        written = {}
        for file_id in ids:
            if one_file:
                target = str(self.destination)
            else:
                target = (
                    f"{str(self.destination).rstrip('/')}/{file_id}-{self.hook.get_file(file_id).filename}"
                )
            size = self.hook.download_file(file_id, target)
            self.log.info("Downloaded %s to %s (%d bytes)", file_id, target, size)
            written[file_id] = target
        return written

    def lineage_plan(self) -> Any:
        from airflow_openai.lineage import TaskReport

        return TaskReport(outputs=[str(self.destination)])

    def lineage_report(self, result: Any) -> Any:
        """Each API file read and where it was written."""
        from airflow_openai.lineage import RemoteObject, TaskReport

        if not isinstance(result, dict):
            return None
        return TaskReport(
            remote_inputs=[RemoteObject("file", file_id) for file_id in result],
            outputs=list(result.values()),
            facts={"file_ids": list(result), "count": len(result), "path": str(self.destination)},
        )


class OpenAIDeleteFilesOperator(OpenAIBaseOperator):
    """Delete files by id, or clean up by purpose and age (the organization's storage is capped at 100 GB).

    :param file_ids: the files to delete; those already gone are skipped.
    :param purpose: with ``older_than`` or ``created_before``: delete files of this purpose.
    :param older_than: seconds; files created longer ago than this are deleted.
    :param created_before: a Unix time; files created before it are deleted.
    :param dry_run: only log what would be deleted.
    """

    template_fields: Sequence[str] = ("file_ids", "purpose", "older_than", "created_before")
    dry_run: bool  # type: ignore[assignment]  # shadows BaseOperator.dry_run(), which Airflow 3 never calls

    def __init__(
        self,
        *,
        file_ids: str | list[str] | None = None,
        purpose: str | None = None,
        older_than: float | str | None = None,
        created_before: float | str | None = None,
        dry_run: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if file_ids is None and purpose is None:
            raise ValueError("give file_ids, or a purpose with older_than or created_before")
        if purpose is not None and older_than is None and created_before is None:
            raise ValueError(
                "a clean-up by purpose needs older_than or created_before, so that new files are kept"
            )
        self.file_ids = file_ids
        self.purpose = purpose
        self.older_than = older_than
        self.created_before = created_before
        self.dry_run = dry_run

    def execute(self, context: Any) -> list[str]:
        from airflow_openai.client import NotFoundError

        if self.file_ids is not None:
            ids = _id_list(self.file_ids)
        else:
            cutoff = (
                float(self.created_before)
                if self.created_before is not None
                else time.time() - float(self.older_than or 0)
            )
            ids = [f.id for f in self.hook.list_files(purpose=self.purpose) if f.created_at < cutoff]
        deleted = []
        for file_id in ids:
            if self.dry_run:
                self.log.info("Would delete %s", file_id)
                continue
            try:
                self.hook.delete_file(file_id)
            except NotFoundError:
                self.log.info("%s was already gone", file_id)
                continue
            deleted.append(file_id)
        self.log.info("Deleted %d files%s", len(deleted), " (dry run)" if self.dry_run else "")
        return deleted


def _id_list(value: str | list[str]) -> list[str]:
    """File ids from a list, one id, or a template that rendered a list to text (``"['file-a', ...]"``)."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            parsed = ast.literal_eval(text)
            if not isinstance(parsed, list) or not all(isinstance(item, str) for item in parsed):
                raise ValueError(f"file_ids must be a list of file ids, got {value!r}")
            return parsed
        return [text]
    return [str(item) for item in value]


def _size(source: str) -> int | None:
    try:
        if "://" in source:
            from airflow.sdk import ObjectStoragePath

            return int(ObjectStoragePath(source).stat().st_size)
        return os.path.getsize(source)
    except (OSError, AttributeError, ValueError):
        return None
