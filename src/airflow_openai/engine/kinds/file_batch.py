"""A vector store's file batches: several side by side, their file counts pacing the polls."""

from __future__ import annotations

from typing import Any

from airflow_openai.engine.kind import JobKind
from airflow_openai.vector_stores import assessment


class FileBatchKind(JobKind):
    """`ref`: ``{"ids": [file batch ids], "vector_store_id": ...}``."""

    name = "file_batch"
    noun, nouns = "file batch", "file batches"
    reader, canceller = "get_vector_store_file_batch", "cancel_vector_store_file_batch"

    assess = staticmethod(assessment.assess)

    def args(self, ref: dict[str, Any], key: str) -> tuple[Any, ...]:
        return (ref["vector_store_id"], key)

    def name_of(self, ref: dict[str, Any], key: str) -> str:
        return f"file batch {key} of vector store {ref['vector_store_id']}"

    def describe(self, ref: dict[str, Any]) -> str:
        return f"{super().describe(ref)} of vector store {ref['vector_store_id']}"

    def summary(self, ref: dict[str, Any], latest: dict[str, Any]) -> str:
        """``3 file batches of vector store vs_1 finished: 1,497 of 1,500 files completed, 3 failed``."""
        completed = sum(a.completed for a in latest.values())
        failed = sum(a.failed for a in latest.values())
        total = sum(a.total for a in latest.values())
        count = len(self.keys(ref))
        batches = f"{count} file batch{'es' if count != 1 else ''}"
        return (
            f"{batches} of vector store {ref['vector_store_id']} finished: "
            f"{completed:,} of {total:,} files completed, {failed:,} failed"
        )

    def legacy_ref(self, event: dict[str, Any]) -> dict[str, Any]:
        return {"ids": list(event["batch_ids"]), "vector_store_id": event["vector_store_id"]}

    def payload(self, ref: dict[str, Any], latest: dict[str, Any]) -> dict[str, Any]:
        """The file counts of each batch seen: the operator names the failed files from them."""
        return {
            "vector_store_id": ref["vector_store_id"],
            "batch_ids": self.keys(ref),
            "counts": {key: a.counts() for key, a in latest.items()},
        }
