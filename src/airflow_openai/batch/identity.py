"""Which batch belongs to which task attempt: metadata tags that let a retry find its own batch.

A batch carries the DAG, task, run and map index that created it and the fingerprint
of its input file. A retried task looks for a batch with the same tags before it
submits anything, so even a worker that died before it could record the batch id
does not cause a second, paid-for batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_openai.models import Batch

TAG_PREFIX = "airflow_"
MAX_USER_METADATA = 10
SEARCH_LIMIT = 500
NOT_REATTACHABLE = frozenset({"failed", "cancelling", "cancelled"})
"""Batches in these statuses are submitted again. Any other is reattached to, a status the API
added later included: it may still give results, and submitting again would pay twice."""


@dataclass(frozen=True)
class TaskIdentity:
    dag_id: str
    task_id: str
    run_id: str
    map_index: int = -1

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> TaskIdentity:
        ti = context["ti"]
        map_index = getattr(ti, "map_index", None)
        return cls(ti.dag_id, ti.task_id, ti.run_id, -1 if map_index is None else int(map_index))

    def tags(self, fingerprint: str, chunk: int, chunks: int) -> dict[str, str]:
        return {
            "airflow_dag_id": self.dag_id[:512],
            "airflow_task_id": self.task_id[:512],
            "airflow_run_id": self.run_id[:512],
            "airflow_map_index": str(self.map_index),
            "airflow_input_sha": fingerprint,
            "airflow_chunk": f"{chunk + 1}/{chunks}",
        }


def batch_metadata(user: Mapping[str, str] | None, tags: Mapping[str, str]) -> dict[str, str]:
    """User metadata plus our tags, within the API's 16 pairs."""
    user = dict(user or {})
    if len(user) > MAX_USER_METADATA:
        raise ValueError(
            f"metadata may hold at most {MAX_USER_METADATA} pairs here (the rest are used to reattach retries)"
        )
    clash = [key for key in user if key.startswith(TAG_PREFIX)]
    if clash:
        raise ValueError(f"metadata keys starting with {TAG_PREFIX!r} are reserved: {clash}")
    return {**{str(k): str(v) for k, v in user.items()}, **tags}


def find_reattachable(batches: Iterable[Batch], tags: Mapping[str, str]) -> Batch | None:
    """The newest batch carrying exactly these tags whose results can still be used."""
    for count, batch in enumerate(batches):
        if count >= SEARCH_LIMIT:
            return None
        metadata = batch.metadata or {}
        if (
            all(metadata.get(key) == value for key, value in tags.items())
            and batch.status not in NOT_REATTACHABLE
        ):
            return batch
    return None
