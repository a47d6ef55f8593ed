"""`/fine_tuning/jobs` with events and checkpoints."""

from __future__ import annotations

from typing import Any

from airflow_openai.client.calls import ApiCall, ListCall, Reconcile, segment
from airflow_openai.models import FineTuningJob, FineTuningJobCheckpoint, FineTuningJobEvent


def create_fine_tuning_job(model: str, training_file: str, **options: Any) -> ApiCall[FineTuningJob]:
    """Start a job; `options` are the spec's other fields (validation_file, suffix, seed, hyperparameters...).

    If the answer is lost, the job is looked for (same training and validation files, seed and
    metadata, a model named as asked or as its dated snapshot, created since) before another
    one, paid for again, is started. The API answers `gpt-4o-mini` with the snapshot it
    resolved, `gpt-4o-mini-2024-07-18`, so the model is matched by prefix.
    """
    body = {
        "model": model,
        "training_file": training_file,
        **{k: v for k, v in options.items() if v is not None},
    }

    def same(job: FineTuningJob) -> bool:
        return (
            job.training_file == training_file
            and job.validation_file == body.get("validation_file")
            and (job.model == model or job.model.startswith(f"{model}-"))
            and ("seed" not in body or job.seed == body["seed"])
            and (getattr(job, "metadata", None) or {}) == (body.get("metadata") or {})
        )

    reconcile: Reconcile[FineTuningJob] = Reconcile(
        list_fine_tuning_jobs(limit=100), same, what=f"a job on {training_file}"
    )
    return ApiCall("POST", "/fine_tuning/jobs", FineTuningJob.model_validate, json=body, reconcile=reconcile)


def get_fine_tuning_job(fine_tuning_job_id: str) -> ApiCall[FineTuningJob]:
    return ApiCall("GET", f"/fine_tuning/jobs/{segment(fine_tuning_job_id)}", FineTuningJob.model_validate)


def list_fine_tuning_jobs(limit: int | None = None, after: str | None = None) -> ListCall[FineTuningJob]:
    params = {"limit": limit, "after": after}
    return ListCall("GET", "/fine_tuning/jobs", FineTuningJob.model_validate, params=params)


def cancel_fine_tuning_job(fine_tuning_job_id: str) -> ApiCall[FineTuningJob]:
    path = f"/fine_tuning/jobs/{segment(fine_tuning_job_id)}/cancel"
    return ApiCall("POST", path, FineTuningJob.model_validate, repeatable=True)


def list_fine_tuning_events(
    fine_tuning_job_id: str, limit: int | None = None, after: str | None = None
) -> ListCall[FineTuningJobEvent]:
    """The job's progress log, newest first."""
    path = f"/fine_tuning/jobs/{segment(fine_tuning_job_id)}/events"
    return ListCall(
        "GET",
        path,
        FineTuningJobEvent.model_validate,
        params={"limit": limit, "after": after},
    )


def list_fine_tuning_checkpoints(
    fine_tuning_job_id: str, limit: int | None = None, after: str | None = None
) -> ListCall[FineTuningJobCheckpoint]:
    path = f"/fine_tuning/jobs/{segment(fine_tuning_job_id)}/checkpoints"
    params = {"limit": limit, "after": after}
    return ListCall("GET", path, FineTuningJobCheckpoint.model_validate, params=params)
