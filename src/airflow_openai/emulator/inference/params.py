"""The parameters of chat, completion and embedding requests, checked as the service checks them.

Types are strict (`"two"` is not an integer, `true` is not a number) and ranges are the API's
(`temperature` 0-2, `top_p` 0-1, `n` 1-128...). A field the API description (2.3.0) does not define
for the endpoint is refused first, as the service refuses it: `Unrecognized request argument
supplied: <name>`, with `param` naming it (`FIELDS`: the fields of each request model below). A
field the API added after 2.3.0 passes only when the emulator is told to take it
(`Emulator(accept_fields=[...])`, `--accept-field`; see `builtin_responder`).
Rules that join fields (a `tool_choice` without `tools`...) are `param_rules`', and so are those
that depend on the model (`dimensions` on a model without them), which only the emulator applies.
A refusal is the API's 400 envelope naming the parameter; an unknown model is a 404
`model_not_found`. Only the built-in responder applies these rules: a custom responder or an
upstream server decides for itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from airflow_openai.emulator.core.bodies import LONE_SURROGATE, has_lone_surrogate
from airflow_openai.emulator.core.model_names import known_model
from airflow_openai.emulator.inference import param_rules

Number = Annotated[float, Field(allow_inf_nan=False)]


class _Params(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")

    model: Annotated[str, Field(min_length=1)]
    user: str | None = None


class _Sampling(_Params):
    temperature: Annotated[Number, Field(ge=0, le=2)] | None = None
    top_p: Annotated[Number, Field(ge=0, le=1)] | None = None
    n: Annotated[int, Field(ge=1, le=128)] | None = None
    presence_penalty: Annotated[Number, Field(ge=-2, le=2)] | None = None
    frequency_penalty: Annotated[Number, Field(ge=-2, le=2)] | None = None
    seed: int | None = None
    stream: bool | None = None
    stop: str | Annotated[list[str], Field(max_length=4)] | None = None
    logit_bias: dict[str, Annotated[int, Field(ge=-100, le=100)]] | None = None


class _Message(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")

    role: Literal["system", "user", "assistant", "tool", "developer", "function"]
    content: str | list[dict[str, Any]] | None = None


class _JsonSchema(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")

    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_-]+$")]
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None
    description: str | None = None


class _ResponseFormat(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    type: Literal["text", "json_object", "json_schema"]
    json_schema: _JsonSchema | None = None


class _Function(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")

    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_-]+$")]
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class _Tool(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    type: Literal["function"]
    function: _Function


class _Named(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    name: Annotated[str, Field(min_length=1)]


class _NamedToolChoice(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    type: Literal["function"]
    function: _Named


class _StreamOptions(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    include_usage: bool | None = None


class CreateChatCompletionRequest(_Sampling):
    messages: Annotated[list[_Message], Field(min_length=1)]
    service_tier: Literal["auto", "default"] | None = None
    functions: Annotated[list[_Function], Field(min_length=1, max_length=128)] | None = None
    """Deprecated for `tools`, still taken."""
    function_call: Literal["none", "auto"] | _Named | None = None
    """Deprecated for `tool_choice`, still taken."""
    max_tokens: Annotated[int, Field(ge=1)] | None = None
    max_completion_tokens: Annotated[int, Field(ge=1)] | None = None
    logprobs: bool | None = None
    top_logprobs: Annotated[int, Field(ge=0, le=20)] | None = None
    response_format: _ResponseFormat | None = None
    tools: Annotated[list[_Tool], Field(max_length=128)] | None = None
    tool_choice: Literal["none", "auto", "required"] | _NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None
    stream_options: _StreamOptions | None = None


class CreateCompletionRequest(_Sampling):
    prompt: str | Annotated[list[str], Field(min_length=1)] | list[int] | list[list[int]]
    max_tokens: Annotated[int, Field(ge=0)] | None = None
    best_of: Annotated[int, Field(ge=0, le=20)] | None = None
    echo: bool | None = None
    logprobs: Annotated[int, Field(ge=0, le=5)] | None = None
    suffix: str | None = None
    stream_options: _StreamOptions | None = None


class CreateEmbeddingRequest(_Params):
    input: (
        Annotated[str, Field(min_length=1)]
        | Annotated[list[str], Field(min_length=1, max_length=2048)]
        | Annotated[list[int], Field(min_length=1)]
        | Annotated[list[list[int]], Field(min_length=1, max_length=2048)]
    )
    dimensions: Annotated[int, Field(ge=1)] | None = None
    encoding_format: Literal["float", "base64"] | None = None


MODELS: dict[str, type[_Params]] = {
    "/v1/chat/completions": CreateChatCompletionRequest,
    "/v1/completions": CreateCompletionRequest,
    "/v1/embeddings": CreateEmbeddingRequest,
}
FIELDS: dict[str, frozenset[str]] = {
    url: frozenset(field.alias or name for name, field in model.model_fields.items())
    for url, model in MODELS.items()
}
"""The body fields the API description (2.3.0) defines, per endpoint: the service refuses any other."""
UNRECOGNIZED = "Unrecognized request argument supplied: {name}"
"""The service's words for a body field it does not know (a 400 `invalid_request_error`)."""


def unrecognized_fields(url: str, body: dict[str, Any], accepted: frozenset[str] = frozenset()) -> list[str]:
    """The fields of `body`, in its order, that `url` does not define and `accepted` does not name."""
    known = FIELDS.get(url, frozenset())
    return [name for name in body if name not in known and name not in accepted]


def error(status: int, message: str, param: str | None, code: str | None) -> tuple[int, dict[str, Any]]:
    return status, {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    }


def check(url: str, body: Any, accepted: frozenset[str] = frozenset()) -> tuple[int, dict[str, Any]] | None:
    """None when `body` is a request the API would run at `url`, else its error answer. `accepted`
    names fields the API added after 2.3.0 that are taken unchecked (see `builtin_responder`)."""
    if not isinstance(body, dict):
        return error(400, "The request body must be a JSON object.", None, "invalid_type")
    model = MODELS.get(url)
    if model is None:
        return error(404, f"Invalid URL (POST {url})", None, None)
    if has_lone_surrogate(body):
        return error(
            400,
            LONE_SURROGATE,
            None,
            "invalid_json",
        )
    refused = _parameter_refusal(model, url, body, accepted)
    if refused is not None:
        return refused
    name = body["model"]
    if not known_model(name):
        return error(
            404,
            f"The model `{name}` does not exist or you do not have access to it.",
            "model",
            "model_not_found",
        )
    for_model = param_rules.model_refusal(url, body)
    if for_model is not None:
        return error(400, for_model.message, for_model.param, for_model.code)
    return None


_TAGS = {"str", "int", "float", "bool", "none", "is-instance", "json-or-python", "lax-or-strict", "strict"}


def invalid_parameter(url: str, body: Any) -> tuple[str | None, str] | None:
    """The first parameter of `body` the API would refuse for `url`, as (param, the API's message);
    None when every field is one `url` takes and every type and range is right. Model names are
    not judged here.

    `OpenAIBatchOperator` checks each batch line with this before anything is uploaded, so the
    provider and the emulator read the spec's request schemas the same way.
    """
    model = MODELS.get(url)
    refused = None if model is None else _parameter_refusal(model, url, body)
    if refused is None:
        return None
    envelope = refused[1]["error"]
    return envelope["param"], envelope["message"]


def _parameter_refusal(
    model: type[_Params], url: str, body: Any, accepted: frozenset[str] = frozenset()
) -> tuple[int, dict[str, Any]] | None:
    """The API's answer to the first unknown field, wrong type, range or combination in `body`; None
    when all are right. One rule for the emulator's answers (`check`) and the operator's checks
    (`invalid_parameter`). Unknown fields come first: the service refuses them before reading values."""
    unknown = unrecognized_fields(url, body, accepted) if isinstance(body, dict) else []
    if unknown:
        return error(400, UNRECOGNIZED.format(name=unknown[0]), unknown[0], None)
    try:
        model.model_validate(body)
    except ValidationError as exc:
        return _refusal(exc)
    if json_word_missing(url, body):
        return error(400, JSON_WORD_MESSAGE, "messages", None)
    combined = param_rules.refusal(url, body)
    if combined is not None:
        return error(400, combined.message, combined.param, combined.code)
    return None


JSON_WORD_MESSAGE = (
    "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'."
)


def json_word_missing(url: str, body: dict[str, Any]) -> bool:
    """JSON mode needs the messages to ask for JSON: the API refuses the request otherwise."""
    response_format = body.get("response_format")
    if url != "/v1/chat/completions" or not isinstance(response_format, dict):
        return False
    if response_format.get("type") != "json_object":
        return False
    return "json" not in json.dumps(body.get("messages"), ensure_ascii=False).lower()


def _is_union_tag(part: str) -> bool:
    """Pydantic names the member of a union it tried (`str`, `list[str]`, `constrained-int`...) in
    an error's location; the API's `param` has only field names and indices."""
    return "[" in part or part in _TAGS or part.startswith(("constrained-", "function-", "_"))


def _param(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1]}[{part}]" if parts else f"[{part}]"]
        elif not _is_union_tag(part):
            parts.append(part)
    return ".".join(parts)


@dataclass(frozen=True)
class _Bound:
    """One end of a parameter's range, as the API words a value beyond it: `Invalid 'n': value above
    maximum value. Expected a value <= 128, but got 200 instead.`, coded `integer_above_max_value`
    (`decimal_...` when the bound is a float). An exclusive bound is worded as an inclusive one."""

    inclusive: str
    """The key of pydantic's error context that holds an inclusive bound (`ge`, `le`)..."""
    exclusive: str
    """...and the one that holds an exclusive bound (`gt`, `lt`)."""
    beyond: str
    sign: str
    code: str

    def refusal(self, param: str, got: Any, ctx: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        bound = ctx.get(self.inclusive, ctx.get(self.exclusive))
        message = (
            f"Invalid '{param}': value {self.beyond} value. Expected a value {self.sign} {bound}, "
            f"but got {got} instead."
        )
        number = "decimal" if isinstance(bound, float) else "integer"
        return error(400, message, param, f"{number}_{self.code}")


_MINIMUM = _Bound("ge", "gt", "below minimum", ">=", "below_min_value")
_MAXIMUM = _Bound("le", "lt", "above maximum", "<=", "above_max_value")
_BOUNDS = {
    "greater_than_equal": _MINIMUM,
    "greater_than": _MINIMUM,
    "less_than_equal": _MAXIMUM,
    "less_than": _MAXIMUM,
}
"""pydantic's error types for a value out of range, by the end of the range it passed."""


def _refusal(exc: ValidationError) -> tuple[int, dict[str, Any]]:
    """The API's 400 for the first error of `exc`: its parameter, wording and code."""
    first = exc.errors()[0]
    param = _param(tuple(first["loc"]))
    kind = first["type"]
    got = first.get("input")
    ctx = first.get("ctx") or {}
    if kind == "missing":
        return error(400, f"Missing required parameter: '{param}'.", param, "missing_required_parameter")
    bound = _BOUNDS.get(kind)
    if bound is not None:
        return bound.refusal(param, got, ctx)
    if kind in ("too_short", "string_too_short"):
        return error(
            400,
            f"Invalid '{param}': empty or too short. {first['msg']}.",
            param,
            "empty_array" if isinstance(got, list) else "invalid_value",
        )
    if kind in (
        "literal_error",
        "enum",
        "too_long",
        "string_too_long",
        "string_pattern_mismatch",
        "finite_number",
        "extra_forbidden",
    ):
        return error(400, f"Invalid value for '{param}': {first['msg']}.", param, "invalid_value")
    return error(400, f"Invalid type for '{param}': {first['msg']}.", param, "invalid_type")


refusal_of = _refusal
"""The API's 400 for a validation error, for the bodies of inference's other endpoints (`strict_bodies`)."""
