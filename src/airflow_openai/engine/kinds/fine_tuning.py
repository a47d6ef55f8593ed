"""A fine-tuning job: one at a time; its events are the worker's to log (`fine_tuning/events.py`)."""

from __future__ import annotations

from typing import Any

from airflow_openai.engine.kind import JobKind
from airflow_openai.fine_tuning import assessment
from airflow_openai.pacing import PollPacing


class FineTuningKind(JobKind):
    name = "fine_tuning"
    noun, nouns = "fine-tuning job", "fine-tuning jobs"
    reader, canceller = "get_fine_tuning_job", "cancel_fine_tuning_job"
    pacing = PollPacing(minimum=15.0, maximum=300.0)

    assess = staticmethod(assessment.assess)

    def legacy_ref(self, event: dict[str, Any]) -> dict[str, Any]:
        return {"ids": [event["job_id"]]}

    def payload(self, ref: dict[str, Any], latest: dict[str, Any]) -> dict[str, Any]:
        job_id = self.keys(ref)[0]
        seen = latest.get(job_id)
        return {
            "job_id": job_id,
            "job_status": seen.status if seen is not None else "not seen yet",
            "fine_tuned_model": seen.fine_tuned_model if seen is not None else None,
        }
