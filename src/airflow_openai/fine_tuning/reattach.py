"""Which fine-tuning job a retried task started already, when the task state store cannot say.

A worker can die between creating a job and recording its id. Its retry then looks for
a job on the same training (and validation) file and model, created since the first
attempt began, that has not failed or been cancelled: that is the job it started, and
creating another would pay for the training twice. Fine-tuning jobs carry no metadata in
the API this provider is built against, so the files (uploaded under names that carry the
task and the data's fingerprint) are the job's identity.
"""

from __future__ import annotations

import hashlib
import json
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


def request_fingerprint(parameters: Mapping[str, Any], data_digests: Mapping[str, str]) -> str:
    """A digest of what a job is asked to be: its checked parameters and its data's content.
    A recorded job is taken over only by an attempt asking for the same thing; one whose data
    or parameters changed (an upstream task ran again, the DAG was edited) starts its own."""
    asked = {"parameters": dict(parameters), "data": dict(data_digests)}
    return hashlib.sha256(json.dumps(asked, sort_keys=True, default=str).encode()).hexdigest()


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
        and _same_suffix(job, request.get("suffix"))
        and (job.integrations or None) == (request.get("integrations") or None)
    )


def _same_suffix(job: FineTuningJob, suffix: str | None) -> bool:
    """The service reports the suffix asked for as `user_provided_suffix` (beyond the spec); the
    model's name carries it once the job has succeeded."""
    reported = getattr(job, "user_provided_suffix", None)
    if reported is not None or "user_provided_suffix" in (job.model_extra or {}):
        return (reported or None) == (suffix or None)
    if job.fine_tuned_model:
        return job.fine_tuned_model.split(":")[3:4] == [suffix or ""]
    return True
