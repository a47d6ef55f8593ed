"""Strict models of request bodies as the spec writes them: the bases every service builds its bodies on
(`Strict`, `Forbidding`), `parse`, and the bodies of the control plane's own routes.

Each service's bodies live in its package (`batch_bodies`, `upload_bodies`, `fine_tuning_bodies`...).
Each route reads its JSON body through `parse`, so a value of the wrong type (a list where a
string belongs, `true` where an integer belongs) is a 400 naming the parameter, as the
service answers, and never reaches the route's logic; `require_filled` and `require_one_of` then
refuse an empty required field and a value outside its choices as the older endpoints do.
Unknown fields are ignored, except in the bodies the service reads whole (fine-tuning jobs, the
control plane), where they are a 400.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from airflow_openai.emulator.core import strict
from airflow_openai.emulator.core.errors import EmulatorError, bad_request


class Strict(BaseModel):
    """No coercion: `true` is not an integer, `"1"` is not a number, a list is not a string."""

    model_config = ConfigDict(strict=True, extra="ignore")


YEARS_100 = 100 * 365 * 86400.0

Finite = Annotated[float, Field(allow_inf_nan=False)]


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


class Forbidding(Strict):
    """A body the service reads whole: an unknown field is a 400 `unknown_parameter`, not ignored."""

    model_config = ConfigDict(strict=True, extra="forbid")


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], body: Any) -> M:
    """`body` as a `model`, or a 400 in the API's envelope naming the first bad parameter. A string
    holding a lone surrogate (a `\\ud800` escape without its pair) is refused first, as the API's
    JSON parser refuses it: kept, it could not be written back into an answer."""
    if has_lone_surrogate(body):
        raise bad_request(LONE_SURROGATE, code="invalid_json")
    return strict.parse(model, body, validation_error)


LONE_SURROGATE = (
    "We could not parse the JSON body of your request: it holds a lone surrogate (a \\ud800-\\udfff "
    "escape without its pair), which is not Unicode text."
)


def has_lone_surrogate(value: Any) -> bool:
    """Whether a JSON value holds a string with an unpaired surrogate, which Python's parser lets
    through from a `\\ud800` escape but the API's parser refuses."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_lone_surrogate(item) for item in value)
    return False


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


def require_filled(request: BaseModel, *names: str) -> None:
    """Each of `names` given and not empty: the older endpoints (batches, uploads) refuse an empty
    string for a required field as if it were left out, in their words (no final period). A field
    left out or of the wrong type has been refused already, by `parse`."""
    for name in names:
        if not getattr(request, name):
            raise bad_request(
                f"Missing required parameter: '{name}'", param=name, code="missing_required_parameter"
            )


def require_one_of(
    value: str, choices: Collection[str], name: str, code: str | None = "invalid_value"
) -> None:
    """`value` one of `choices` (a tuple, or the keys of a mapping), else the older endpoints' 400
    listing them: `'1h' is not one of ['24h'] - 'completion_window'`. `/v1/uploads` answers it with no
    `code`."""
    if value not in choices:
        raise bad_request(f"'{value}' is not one of {list(choices)} - '{name}'", param=name, code=code)


def finite(value: float, name: str, *, low: float, high: float) -> float:
    """`value` if it is a finite number in [low, high], else a 400 naming `name`."""
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise bad_request(
            f"'{name}' must be a number between {low:g} and {high:g}.", param=name, code="invalid_value"
        )
    return number
