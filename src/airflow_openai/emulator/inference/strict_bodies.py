"""The bodies of inference's other endpoints (moderations, images, speech, transcriptions), read strictly
and refused in the same words as chat's (`params`): `Invalid 'speed': value below minimum value...`, coded
`decimal_below_min_value`; an unknown field of a body the spec closes is `Unknown parameter: 'x'.`."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from airflow_openai.emulator.core.errors import EmulatorError, bad_request
from airflow_openai.emulator.inference.params import refusal_of

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], body: Any) -> M:
    """`body` as a `model`, or the service's 400 naming the first bad parameter, raised."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.", code="invalid_type")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "extra_forbidden":
            name = ".".join(str(part) for part in first["loc"])
            raise bad_request(f"Unknown parameter: '{name}'.", name, "unknown_parameter") from None
        status, answer = refusal_of(exc)
        error = answer["error"]
        raise EmulatorError(status, error["message"], param=error["param"], code=error["code"]) from None
