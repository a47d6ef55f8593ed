"""Which fine-tuning job a retried task started already, when the task state store cannot say.

A worker can die between creating a job and recording its id. Its retry then looks for
a job on the same training (and validation) file and model, created since the first
attempt began, that has not failed or been cancelled: that is the job it started, and
creating another would pay for the training twice. Fine-tuning jobs carry no metadata in
the API this provider is built against, so the files (uploaded under names that carry the
task and the data's fingerprint) are the job's identity.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from airflow_openai.models import FineTuningJob

NOT_REATTACHABLE = frozenset({"failed", "cancelled"})
SEARCH_LIMIT = 200
CLOCK_SKEW = 120


def find_reattachable(
    jobs: Iterable[FineTuningJob],
    request: Mapping[str, Any],
    since: float,
) -> FineTuningJob | None:
    """The newest job made for `request` (the create body) since `since`, unless it failed."""
    for count, job in enumerate(jobs):
        if count >= SEARCH_LIMIT or job.created_at < since - CLOCK_SKEW:
            return None
        if job.status not in NOT_REATTACHABLE and _same(job, request):
            return job
    return None


def _same(job: FineTuningJob, request: Mapping[str, Any]) -> bool:
    model = str(request["model"])
    asked = dict(request.get("hyperparameters") or {})
    resolved = job.hyperparameters.model_dump() if job.hyperparameters is not None else {}
    return (
        job.training_file == request["training_file"]
        and job.validation_file == request.get("validation_file")
        and (job.model == model or job.model.startswith(f"{model}-"))
        and ("seed" not in request or job.seed == request["seed"])
        and all(value == "auto" or resolved.get(key) in (None, value) for key, value in asked.items())
    )
