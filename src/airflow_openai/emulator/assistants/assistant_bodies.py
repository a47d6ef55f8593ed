"""The request bodies of `/v1/assistants` and the parts runs and threads share (tools, response formats,
tool resources), read strictly as the service reads them.

The spec's fields, plus those the official SDK sends (`description` and `reasoning_effort`
on an assistant); any other field is a 400 `unknown_parameter`. No coercion: `"1"` is not
a number. A refusal names the parameter as the service writes it (`tools[0].function.name`),
with its code (`integer_below_min_value`, `array_above_max_length`, `invalid_type`...).
Metadata holds at most 16 pairs of string keys of at most 64 characters and string values
of at most 512, checked wherever it appears.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from airflow_openai.emulator.core.chunking import Chunking
from airflow_openai.emulator.core.errors import EmulatorError, bad_request
from airflow_openai.emulator.core.strict import check_metadata

FUNCTION_NAME = r"^[a-zA-Z0-9_-]{1,64}$"
ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
Metadata = dict[str, str]
Temperature = Annotated[float, Field(ge=0.0, le=2.0, allow_inf_nan=False)]
TopP = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class Body(BaseModel):
    """No coercion (`"3"` is not a number) and no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class FunctionDefinition(Body):
    name: Annotated[str, Field(pattern=FUNCTION_NAME)]
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class FunctionTool(Body):
    type: Literal["function"]
    function: FunctionDefinition


class CodeInterpreterTool(Body):
    type: Literal["code_interpreter"]


class RankingOptions(Body):
    ranker: Literal["auto", "default_2024_08_21"] | None = None
    """Null or left out: the `auto` ranker, shown by leaving the field out (see `dumped`)."""
    score_threshold: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class FileSearchOptions(Body):
    max_num_results: Annotated[int, Field(ge=1, le=50)] | None = None
    ranking_options: RankingOptions | None = None


class FileSearchTool(Body):
    type: Literal["file_search"]
    file_search: FileSearchOptions | None = None


Tool = Annotated[FunctionTool | CodeInterpreterTool | FileSearchTool, Field(discriminator="type")]


class JsonSchemaSpec(Body):
    name: Annotated[str, Field(min_length=1, max_length=64, pattern=FUNCTION_NAME)]
    description: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class TextFormat(Body):
    type: Literal["text"]


class JsonObjectFormat(Body):
    type: Literal["json_object"]


class JsonSchemaFormat(Body):
    type: Literal["json_schema"]
    json_schema: JsonSchemaSpec


ResponseFormat = (
    Literal["auto"] | Annotated[TextFormat | JsonObjectFormat | JsonSchemaFormat, Field(discriminator="type")]
)


class CodeInterpreterResources(Body):
    file_ids: Annotated[list[str], Field(max_length=20)] | None = None


class FileSearchResources(Body):
    vector_store_ids: Annotated[list[str], Field(max_length=1)] | None = None


class NewVectorStore(Body):
    """A vector store made with the assistant or thread, over these files (`tool_resources.file_search.vector_stores`)."""

    file_ids: Annotated[list[str], Field(max_length=10000)] | None = None
    chunking_strategy: Chunking | None = None
    metadata: Metadata | None = None


class NewFileSearchResources(FileSearchResources):
    vector_stores: Annotated[list[NewVectorStore], Field(max_length=1)] | None = None


class ToolResources(Body):
    """What an object shows and a modify takes: files for code interpreter, stores for file search."""

    code_interpreter: CodeInterpreterResources | None = None
    file_search: FileSearchResources | None = None


class NewToolResources(Body):
    """What a create takes: a vector store may also be made on the spot."""

    code_interpreter: CodeInterpreterResources | None = None
    file_search: NewFileSearchResources | None = None


class CreateAssistantRequest(Body):
    model: str
    name: Annotated[str, Field(max_length=256)] | None = None
    description: Annotated[str, Field(max_length=512)] | None = None
    instructions: Annotated[str, Field(max_length=256000)] | None = None
    tools: Annotated[list[Tool], Field(max_length=128)] | None = None
    tool_resources: NewToolResources | None = None
    metadata: Metadata | None = None
    temperature: Temperature | None = None
    top_p: TopP | None = None
    response_format: ResponseFormat | None = None
    reasoning_effort: ReasoningEffort | None = None


class ModifyAssistantRequest(Body):
    """A field left out is kept; one given as null goes back to its default (`model` cannot be null)."""

    model: str = ""
    name: Annotated[str, Field(max_length=256)] | None = None
    description: Annotated[str, Field(max_length=512)] | None = None
    instructions: Annotated[str, Field(max_length=256000)] | None = None
    tools: Annotated[list[Tool], Field(max_length=128)] | None = None
    tool_resources: ToolResources | None = None
    metadata: Metadata | None = None
    temperature: Temperature | None = None
    top_p: TopP | None = None
    response_format: ResponseFormat | None = None
    reasoning_effort: ReasoningEffort | None = None


def dumped(model: BaseModel | None) -> Any:
    """A parsed part as the JSON it came as (`schema`, not `schema_`), optional fields left out when unset or
    given as null: a null means "the default", which an object shows by leaving the field out (the spec
    gives `ranking_options.ranker`, an image's `detail`, an attachment's `tools`... a value or nothing)."""
    if model is None:
        return None
    return model.model_dump(by_alias=True, exclude_unset=True, exclude_none=True)


def tool_list(tools: list[Any] | None) -> list[dict[str, Any]]:
    return [dumped(tool) for tool in tools or []]


def response_format(value: Any) -> Any:
    """`"auto"`, or the format object as given."""
    return value if isinstance(value, str) or value is None else dumped(value)


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], body: Any) -> M:
    """`body` as a `model` with every metadata checked, or the service's 400 naming the first bad parameter."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.", code="invalid_value")
    try:
        parsed = model.model_validate(body)
    except ValidationError as exc:
        raise refusal(exc) from None
    _check_all_metadata(parsed, "")
    return parsed


def _check_all_metadata(value: Any, where: str) -> None:
    """Every `metadata` in a parsed body, however deep (messages of a thread, new vector stores...)."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            inner = getattr(value, name)
            path = f"{where}.{name}" if where else name
            if name == "metadata" and isinstance(inner, dict):
                check_metadata(inner, path)
            else:
                _check_all_metadata(inner, path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_all_metadata(item, f"{where}[{index}]")


_TAGS = frozenset(
    {"function", "code_interpreter", "file_search", "text", "json_object", "json_schema", "image_file"}
    | {"image_url", "auto", "static"}
)
"""Discriminator values, which pydantic puts in an error's location after a tagged union."""
_UNION_FIELDS = frozenset({"response_format", "tool_choice", "chunking_strategy"})
_MARKERS = ("constrained-", "function-", "tagged-union", "literal")


def param_of(loc: tuple[Any, ...]) -> str:
    """An error's location as the service names the parameter (`tools[0].function.name`): pydantic's union
    members, class names and discriminator values are left out."""
    parts: list[str] = []
    expect_tag = False
    for part in loc:
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1]}[{part}]" if parts else f"[{part}]"]
            expect_tag = True
            continue
        text = str(part)
        if "[" in text or text[:1].isupper() or text.startswith(_MARKERS) or text in ("str", "int", "float"):
            continue
        if expect_tag and text in _TAGS:
            expect_tag = False
            continue
        parts.append(text)
        expect_tag = text in _UNION_FIELDS
    return ".".join(parts)


def _first(exc: ValidationError) -> Any:
    """The error that says most: the deepest, and of those one about a value before one about a type (a
    union reports each member's complaint; the member the input was meant for goes deepest)."""
    ranked = [
        (-len(error["loc"]), str(error["type"]).endswith("_type"), index, error)
        for index, error in enumerate(exc.errors())
    ]
    return min(ranked, key=lambda item: item[:3])[3]


def refusal(exc: ValidationError) -> EmulatorError:
    first = _first(exc)
    param = param_of(tuple(first["loc"]))
    kind, ctx, got = first["type"], first.get("ctx") or {}, first.get("input")
    if kind == "missing":
        return bad_request(
            f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
        )
    if kind == "extra_forbidden":
        return bad_request(f"Unknown parameter: '{param}'.", param=param, code="unknown_parameter")
    bound = ctx.get("ge", ctx.get("gt", ctx.get("le", ctx.get("lt"))))
    number = "decimal" if isinstance(got, float) or isinstance(bound, float) else "integer"
    if kind in ("greater_than_equal", "greater_than"):
        return bad_request(
            f"Invalid '{param}': {number} below minimum value. Expected a value >= {ctx.get('ge', ctx.get('gt'))}, "
            f"but got {got} instead.",
            param=param,
            code=f"{number}_below_min_value",
        )
    if kind in ("less_than_equal", "less_than"):
        return bad_request(
            f"Invalid '{param}': {number} above maximum value. Expected a value <= {ctx.get('le', ctx.get('lt'))}, "
            f"but got {got} instead.",
            param=param,
            code=f"{number}_above_max_value",
        )
    if kind in ("too_long", "string_too_long"):
        noun = "string" if kind == "string_too_long" else "array"
        return bad_request(
            f"Invalid '{param}': {noun} too long. Expected a {noun} with maximum length {ctx.get('max_length')}, "
            f"but got one of length {ctx.get('actual_length', len(got) if isinstance(got, str) else '?')} instead.",
            param=param,
            code=f"{noun}_above_max_length",
        )
    if kind in ("too_short", "string_too_short"):
        noun = "array" if isinstance(got, list) else "string"
        return bad_request(
            f"Invalid '{param}': empty {noun}. Expected a {noun} with minimum length {ctx.get('min_length')}, "
            f"but got an empty {noun} instead.",
            param=param,
            code="empty_array" if noun == "array" else "empty_string",
        )
    if kind in ("literal_error", "union_tag_invalid", "union_tag_not_found", "string_pattern_mismatch"):
        return bad_request(f"Invalid value for '{param}': {first['msg']}.", param=param, code="invalid_value")
    return bad_request(f"Invalid type for '{param}': {first['msg']}.", param=param, code="invalid_type")
