"""Strict models of the request bodies the emulator's routes take, as the spec writes them.

Each route reads its JSON body through `parse`, so a value of the wrong type (a list where a
string belongs, `true` where an integer belongs) is a 400 naming the parameter, as the
service answers, and never reaches the route's logic. Unknown fields are ignored, except in the
bodies the service reads whole (fine-tuning jobs, the control plane), where they are a 400.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from airflow_openai.emulator.errors import EmulatorError, bad_request


class Strict(BaseModel):
    """No coercion: `true` is not an integer, `"1"` is not a number, a list is not a string."""

    model_config = ConfigDict(strict=True, extra="ignore")


YEARS_100 = 100 * 365 * 86400.0

Finite = Annotated[float, Field(allow_inf_nan=False)]


class CreateBatchRequest(Strict):
    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: dict[str, str] | None = None


class CreateUploadRequest(Strict):
    filename: str
    purpose: str
    bytes: int
    mime_type: str


class CompleteUploadRequest(Strict):
    part_ids: list[str]
    md5: str | None = None


class FaultRequest(Strict):
    """`POST /_emulator/faults`: the fields of `Fault`, typed strictly and range-checked."""

    model_config = ConfigDict(strict=True, extra="forbid")

    path: str
    method: str = "*"
    status: Annotated[int, Field(ge=100, le=599)] | None = 500
    count: Annotated[int, Field(ge=1)] = 1
    retry_after: Annotated[Finite, Field(ge=0)] | None = None
    latency_ms: Annotated[int, Field(ge=0)] = 0
    drop: bool = False
    after: bool = False
    act_after_ms: Annotated[int, Field(ge=0)] = 0
    truncate_after: Annotated[int, Field(ge=0)] | None = None
    truncate_framing: Literal["chunked", "clean", "length"] = "chunked"
    message: str = "Injected fault"
    headers: dict[str, str] = {}


class ClockRequest(Strict):
    """`POST /_emulator/clock`: a speed of zero or more, a positive pace, an advance of at most a century
    either way (a larger one loses the clock's sub-second precision, and time would stand still)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    speed: Annotated[Finite, Field(ge=0, le=1e6)] | None = None
    seconds_per_line: Annotated[Finite, Field(gt=0, le=86400)] | None = None
    advance: Annotated[Finite, Field(ge=-YEARS_100, le=YEARS_100)] | None = None


class RateLimitRequest(Strict):
    model_config = ConfigDict(strict=True, extra="forbid")

    requests_per_minute: Annotated[int, Field(ge=0)] | None = None


class LinkRequest(Strict):
    model_config = ConfigDict(strict=True, extra="forbid")

    megabytes_per_second: Annotated[Finite, Field(ge=0)] | None = None


class SeedRequest(Strict):
    model_config = ConfigDict(strict=True, extra="forbid")

    seed: int | None = None


class ForceBatchRequest(Strict):
    status: Literal["in_progress", "finalizing", "completed", "failed", "expired", "cancelled"]


class _Forbidding(Strict):
    """A body the service reads whole: an unknown field is a 400 `unknown_parameter`, not ignored."""

    model_config = ConfigDict(strict=True, extra="forbid")


class FineTuningHyperparameters(_Forbidding):
    """Each is "auto" or a number; the ranges are checked by `fine_tuning_plan.check_hyperparameters`,
    which names the field and the bound as the service does (a union's pydantic error would not)."""

    n_epochs: Any = "auto"
    batch_size: Any = "auto"
    learning_rate_multiplier: Any = "auto"


class _Wandb(_Forbidding):
    project: str
    name: str | None = None
    entity: str | None = None
    tags: list[str] | None = None


class _Integration(_Forbidding):
    type: Literal["wandb"]
    wandb: _Wandb


class _Supervised(_Forbidding):
    hyperparameters: FineTuningHyperparameters | None = None


class _Method(_Forbidding):
    type: Literal["supervised", "dpo", "reinforcement"]
    supervised: _Supervised | None = None
    dpo: dict[str, Any] | None = None
    reinforcement: dict[str, Any] | None = None


class CreateFineTuningJobRequest(_Forbidding):
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


class FailFineTuningRequest(_Forbidding):
    """`POST /_emulator/faults/fine_tuning`: fail a job (the next one created without `job_id`) at a step."""

    job_id: Annotated[str, Field(min_length=1)] | None = None
    at_step: Annotated[int, Field(ge=1)] = 1
    message: Annotated[str, Field(min_length=1)] = "The job failed due to an internal error."
    code: Annotated[str, Field(min_length=1)] = "internal_error"


class ForceFineTuningRequest(Strict):
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], body: Any) -> M:
    """`body` as a `model`, or a 400 in the API's envelope naming the first bad parameter."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.", code="invalid_value")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise validation_error(exc) from None


def validation_error(exc: ValidationError) -> EmulatorError:
    first = exc.errors()[0]
    param = ".".join(str(part) for part in first["loc"]) or None
    if first["type"] == "missing":
        return bad_request(
            f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
        )
    if first["type"] == "extra_forbidden":
        return bad_request(f"Unknown parameter: '{param}'.", param=param, code="unknown_parameter")
    return bad_request(f"Invalid type for '{param}': {first['msg']}.", param=param, code="invalid_type")


def finite(value: float, name: str, *, low: float, high: float) -> float:
    """`value` if it is a finite number in [low, high], else a 400 naming `name`."""
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise bad_request(
            f"'{name}' must be a number between {low:g} and {high:g}.", param=name, code="invalid_value"
        )
    return number
