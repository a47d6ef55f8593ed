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

from airflow_openai.metadata import METADATA_KEY_MAX, METADATA_PAIRS, METADATA_VALUE_MAX
from airflow_openai.models import Batch

TAG_PREFIX = "airflow_"
TAG_COUNT = 6
"""The pairs of a batch's metadata the operator's own tags take (see `metadata` for the API's limits)."""
MAX_USER_METADATA = METADATA_PAIRS - TAG_COUNT
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


def check_user_metadata(user: Any) -> dict[str, str]:
    """The user's metadata as the API would take it alongside our tags, or `ValueError` saying what to change.

    Checked before anything is uploaded: the API would refuse the batch only after its
    input file was sent, and a value silently turned into a string would not read back the same.
    """
    if user is None:
        return {}
    if not isinstance(user, Mapping):
        raise ValueError(f"metadata must be a dict of strings, not {type(user).__name__}")
    if len(user) > MAX_USER_METADATA:
        raise ValueError(
            f"metadata has {len(user)} pairs; a batch holds {METADATA_PAIRS} and the operator uses "
            f"{TAG_COUNT} to reattach retries, so {MAX_USER_METADATA} are left for yours"
        )
    for key, value in user.items():
        _check_metadata_pair(key, value)
    return dict(user)


def _check_metadata_pair(key: Any, value: Any) -> None:
    if not isinstance(key, str):
        raise ValueError(f"metadata key {key!r} must be a string, not {type(key).__name__}")
    if key.startswith(TAG_PREFIX):
        raise ValueError(f"metadata keys starting with {TAG_PREFIX!r} are reserved: {key!r}")
    if len(key) > METADATA_KEY_MAX:
        raise ValueError(
            f"metadata key {key[:20]!r}... has {len(key)} characters; at most {METADATA_KEY_MAX}"
        )
    if not isinstance(value, str):
        raise ValueError(f"metadata[{key!r}] must be a string, not {type(value).__name__}")
    if len(value) > METADATA_VALUE_MAX:
        raise ValueError(f"metadata[{key!r}] has {len(value)} characters; at most {METADATA_VALUE_MAX}")
    for what, text in (("key", key), ("value", value)):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"metadata {what} of {key!r} holds a lone surrogate at character {exc.start + 1}, "
                "which is not UTF-8 text"
            ) from None


def batch_metadata(user: Mapping[str, str] | None, tags: Mapping[str, str]) -> dict[str, str]:
    """User metadata plus our tags, within the API's 16 pairs."""
    return {**check_user_metadata(user), **tags}


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
