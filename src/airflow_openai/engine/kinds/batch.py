"""Batches: many side by side, each with request counts that pace the polls."""

from __future__ import annotations

from typing import Any

from airflow_openai.batch import assessment
from airflow_openai.engine.kind import JobKind


class BatchKind(JobKind):
    name = "batch"
    noun, nouns = "batch", "batches"
    reader, canceller = "get_batch", "cancel_batch"

    assess = staticmethod(assessment.assess)

    def summary(self, ref: dict[str, Any], latest: dict[str, Any]) -> str:
        return f"all {self.nouns} finished"

    def legacy_ref(self, event: dict[str, Any]) -> dict[str, Any]:
        return {"ids": list(event["batch_ids"])}

    def payload(self, ref: dict[str, Any], latest: dict[str, Any]) -> dict[str, Any]:
        return {"batch_ids": self.keys(ref)}
