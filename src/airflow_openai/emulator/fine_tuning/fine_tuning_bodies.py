"""The request bodies of `/v1/fine_tuning/jobs` and of its control-plane routes, read strictly; the job's
body is read whole, so an unknown field is a 400 `unknown_parameter` (see `core.bodies`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from airflow_openai.emulator.core.bodies import Forbidding, Strict


class FineTuningHyperparameters(Forbidding):
    """Each is "auto" or a number; the ranges are checked by `fine_tuning_plan.check_hyperparameters`,
    which names the field and the bound as the service does (a union's pydantic error would not)."""

    n_epochs: Any = "auto"
    batch_size: Any = "auto"
    learning_rate_multiplier: Any = "auto"


class _Wandb(Forbidding):
    """As the job shows it: `name` and `entity` null when not given (the spec lets them be), `tags` left out
    unless given as a list (the spec allows a list only, so a null is not echoed)."""

    project: str
    name: str | None = None
    entity: str | None = None
    tags: list[str] | None = None

    @model_serializer(mode="wrap")
    def _without_null_tags(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        shown: dict[str, Any] = handler(self)
        if shown.get("tags") is None:
            shown.pop("tags", None)
        return shown


class _Integration(Forbidding):
    type: Literal["wandb"]
    wandb: _Wandb


class _Supervised(Forbidding):
    hyperparameters: FineTuningHyperparameters | None = None


class _Method(Forbidding):
    type: Literal["supervised", "dpo", "reinforcement"]
    supervised: _Supervised | None = None
    dpo: dict[str, Any] | None = None
    reinforcement: dict[str, Any] | None = None


class CreateFineTuningJobRequest(Forbidding):
    """`POST /v1/fine_tuning/jobs`: the spec's fields, plus `metadata` and `method` that the SDK sends."""

    model: str
    training_file: str
    hyperparameters: FineTuningHyperparameters | None = None
    suffix: str | None = None
    validation_file: str | None = None
    integrations: Annotated[list[_Integration], Field(max_length=5)] | None = None
    seed: int | None = None
    metadata: dict[str, str] | None = None
    method: _Method | None = None


class FailFineTuningRequest(Forbidding):
    """`POST /_emulator/faults/fine_tuning`: fail a job (the next one created without `job_id`) at a step."""

    job_id: Annotated[str, Field(min_length=1)] | None = None
    at_step: Annotated[int, Field(ge=1)] = 1
    message: Annotated[str, Field(min_length=1)] = "The job failed due to an internal error."
    code: Annotated[str, Field(min_length=1)] = "internal_error"


class ForceFineTuningRequest(Strict):
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
