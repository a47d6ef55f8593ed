"""`OpenAIVectorStoreFileBatchSensor`: wait for a vector-store file batch someone else created
(poke, reschedule or deferrable)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from airflow.sdk.exceptions import AirflowException

from airflow_openai.sensors.base import OpenAIBaseSensor

SHOWN_FAILURES = 5
"""How many failed files a failure names, with the reason the API gave for each."""


class OpenAIVectorStoreFileBatchSensor(OpenAIBaseSensor):
    """Succeeds when the file batch has completed and returns it as a dict; fails at once when it
    failed (every file failed) or was cancelled, naming a few failed files and why they failed.

    A batch that completed with some files failed succeeds, unless `max_failed_files` is set
    and more files than that failed: then the sensor fails, naming the count and a few of the
    files. (The count is checked once the batch has completed, the same way in every mode.)

    Past `timeout` it fails with `AirflowSensorTimeout` in every mode, deferrable included, so
    it is not retried and `soft_fail=True` skips the task instead. An API outage does not fail
    it: a poke that cannot reach the API counts as "not yet", until no poke has reached it for
    `outage_budget` seconds (in reschedule mode too: the count is kept in the task state store
    between pokes). The sensor never cancels the batch: it only watches.

    :param vector_store_id: the vector store the batch adds files to (templated).
    :param batch_id: the file batch to wait for (templated).
    :param max_failed_files: fail when more files than this failed in a completed batch
        (None, the default: any number may fail; 0: none may).

    ``openai_conn_id``, ``deferrable`` and ``outage_budget`` are those of `OpenAIBaseSensor`.
    """

    template_fields: Sequence[str] = ("vector_store_id", "batch_id")
    kind_name = "file_batch"
    ref_fields = {"ids": "batch_id", "vector_store_id": "vector_store_id"}

    def __init__(
        self, *, vector_store_id: str, batch_id: str, max_failed_files: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if max_failed_files is not None and max_failed_files < 0:
            raise ValueError(f"max_failed_files must be 0 or more (or None), not {max_failed_files}")
        self.vector_store_id = vector_store_id
        self.batch_id = batch_id
        self.max_failed_files = max_failed_files

    def failure(self, message: str, status: str, outcome: str) -> Exception:
        return AirflowException(message + self._failed_files(status))

    def check_succeeded(self, obj: Any) -> None:
        counts = obj.file_counts
        self._check_failed_count(counts.failed, counts.completed, counts.total)

    def _check_failed_count(self, failed: int, completed: int, total: int) -> None:
        if self.max_failed_files is None or failed <= self.max_failed_files:
            return
        raise AirflowException(
            f"{failed} files of {self._what} failed, more than max_failed_files={self.max_failed_files} "
            f"allows ({completed} of {total} completed)" + self._failed_files("completed")
        )

    def _failed_files(self, status: str) -> str:
        """``: file-1: unsupported_file: ...; file-2: ...`` for the first failed files, read best
        effort (a failure reported without them is still a failure); empty for a cancelled batch,
        whose files were cancelled rather than failed."""
        if status == "cancelled":
            return ""
        from airflow_openai.client.errors import OpenAIError

        try:
            files = list(
                itertools.islice(
                    self.hook.list_vector_store_file_batch_files(
                        self.vector_store_id, self.batch_id, filter="failed", limit=SHOWN_FAILURES
                    ),
                    SHOWN_FAILURES,
                )
            )
        except OpenAIError as exc:
            self.log.warning("Could not list the failed files of %s: %s", self._what, exc)
            return ""
        shown = [
            f"{item.id}: {item.last_error.code}: {item.last_error.message}"
            if item.last_error is not None
            else f"{item.id}: no reason given"
            for item in files
        ]
        return f"; failed files: {'; '.join(shown)}" if shown else ""
