"""Fine-tuning jobs with their events and checkpoints (`/fine_tuning/jobs`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from airflow_openai.models.base import OpenAIObject

FineTuningJobStatus = Literal["validating_files", "queued", "running", "succeeded", "failed", "cancelled"]
FINE_TUNING_TERMINAL_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})


class FineTuningJobError(OpenAIObject):
    code: str | None = None
    message: str | None = None
    param: str | None = None


class FineTuningHyperparameters(OpenAIObject):
    """The spec names `n_epochs`; the service also reports `batch_size` and `learning_rate_multiplier`,
    each resolved from `auto` once the job starts."""

    n_epochs: Literal["auto"] | int | None = None
    batch_size: Literal["auto"] | int | None = None
    learning_rate_multiplier: Literal["auto"] | float | None = None


class FineTuningJob(OpenAIObject):
    """A fine-tuning job; `fine_tuned_model` is set once it has succeeded."""

    id: str
    object: Literal["fine_tuning.job"] = "fine_tuning.job"
    created_at: int
    error: FineTuningJobError | None = None
    fine_tuned_model: str | None = None
    finished_at: int | None = None
    hyperparameters: FineTuningHyperparameters | None = None
    model: str
    organization_id: str | None = None
    result_files: list[str] = Field(default_factory=list)
    status: FineTuningJobStatus | str
    trained_tokens: int | None = None
    training_file: str
    validation_file: str | None = None
    integrations: list[dict[str, Any]] | None = None
    seed: int | None = None
    estimated_finish: int | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in FINE_TUNING_TERMINAL_STATUSES


class FineTuningJobEvent(OpenAIObject):
    """A line of a fine-tuning job's progress log."""

    id: str
    object: Literal["fine_tuning.job.event"] = "fine_tuning.job.event"
    created_at: int
    level: Literal["info", "warn", "error"] | str
    message: str


class FineTuningJobCheckpointMetrics(OpenAIObject):
    step: float | None = None
    train_loss: float | None = None
    train_mean_token_accuracy: float | None = None
    valid_loss: float | None = None
    valid_mean_token_accuracy: float | None = None
    full_valid_loss: float | None = None
    full_valid_mean_token_accuracy: float | None = None


class FineTuningJobCheckpoint(OpenAIObject):
    """A model checkpoint saved during training, usable as a model of its own."""

    id: str
    object: Literal["fine_tuning.job.checkpoint"] = "fine_tuning.job.checkpoint"
    created_at: int
    fine_tuned_model_checkpoint: str
    step_number: int
    metrics: FineTuningJobCheckpointMetrics
    fine_tuning_job_id: str
