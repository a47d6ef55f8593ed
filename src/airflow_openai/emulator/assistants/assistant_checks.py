"""What the service checks beyond a body's types before it keeps an assistant, thread or run.

A model must exist and chat (`gpt-4o-mini`, a dated snapshot, a fine-tuned model made
here): any other name is a 400 `model_not_found`, an embedding or completion model a 400
`unsupported_model`. A function's `parameters` and a `json_schema` response format must be
JSON schemas, a function's of `type: "object"`; function names are unique. Files named by
tool resources and attachments must exist, and so must vector stores; a vector store asked
for in `tool_resources.file_search.vector_stores` is made on the spot over its files. A
`tool_choice` must name one of the run's tools. Images and attachments of a message name files
that exist.

Other services' objects are read through the store by kind (`file`, `model`, `vector_store`);
their work is asked through `state.seams` (see `core.seams`): fine-tuning jobs are caught up
before a fine-tuned model is refused, and the vector stores service makes a new store.
"""

from __future__ import annotations

from typing import Any

from jsonschema import exceptions, validators

from airflow_openai.emulator.assistants.assistant_bodies import NewToolResources, ToolResources, dumped
from airflow_openai.emulator.assistants.thread_bodies import CreateMessageRequest
from airflow_openai.emulator.assistants.thread_messages import content
from airflow_openai.emulator.core.chunking import chunking
from airflow_openai.emulator.core.errors import EmulatorError, bad_request
from airflow_openai.emulator.core.model_names import known_model
from airflow_openai.emulator.core.state import EmulatorState

NOT_CHAT = ("text-embedding-", "babbage-", "davinci-", "gpt-3.5-turbo-instruct")
VECTOR_STORE = "vector_store"
"""The kind the vector stores service keeps its stores under (`vector_store_lifecycle.STORE`)."""


def chat_model(state: EmulatorState, name: str, param: str = "model") -> str:
    """`name` if the Assistants API can run it, else the service's 400."""
    if name.startswith("ft:"):
        if state.store.get("model", name) is None:
            state.seams.catch_up(state, "model")
        if state.store.get("model", name) is not None:
            return name
    elif known_model(name):
        if name.startswith(NOT_CHAT):
            raise bad_request(
                f"The requested model '{name}' cannot be used with the Assistants API.",
                param=param,
                code="unsupported_model",
            )
        return name
    raise bad_request(f"The requested model '{name}' does not exist.", param=param, code="model_not_found")


def _schema_problem(schema: dict[str, Any]) -> str | None:
    try:
        validators.validator_for(schema).check_schema(schema)
    except exceptions.SchemaError as exc:
        where = "/".join(str(part) for part in exc.path) or "/"
        return f"{exc.message} (at '{where}')"
    return None


def check_tools(tools: list[dict[str, Any]], param: str = "tools") -> None:
    """Function names unique, and each function's parameters an object's JSON schema."""
    seen: set[str] = set()
    for index, tool in enumerate(tools):
        if tool["type"] != "function":
            continue
        function = tool["function"]
        name = function["name"]
        if name in seen:
            raise bad_request(
                f"Invalid '{param}': function name '{name}' appears twice; function names must be unique.",
                param=f"{param}[{index}].function.name",
                code="invalid_value",
            )
        seen.add(name)
        schema = function.get("parameters")
        if schema is None:
            continue
        problem = _schema_problem(schema)
        if problem is None and schema.get("type", "object") != "object":
            problem = f"schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{schema['type']}\"'"
        if problem is not None:
            raise bad_request(
                f"Invalid schema for function '{name}': {problem}.",
                param=f"{param}[{index}].function.parameters",
                code="invalid_function_parameters",
            )


def check_response_format(value: Any, param: str = "response_format") -> None:
    """A `json_schema` format carries a schema that is one."""
    if not isinstance(value, dict) or value.get("type") != "json_schema":
        return
    schema = value["json_schema"].get("schema")
    if schema is None:
        raise bad_request(
            f"Missing required parameter: '{param}.json_schema.schema'.",
            param=f"{param}.json_schema.schema",
            code="missing_required_parameter",
        )
    problem = _schema_problem(schema)
    if problem is not None:
        raise bad_request(
            f"Invalid schema for response_format '{value['json_schema']['name']}': {problem}.",
            param=f"{param}.json_schema.schema",
            code="invalid_value",
        )


def check_tool_choice(choice: Any, tools: list[dict[str, Any]]) -> None:
    """A named tool choice names a tool the run has."""
    if not isinstance(choice, dict):
        return
    if choice["type"] != "function":
        if not any(tool["type"] == choice["type"] for tool in tools):
            raise bad_request(
                f"Invalid 'tool_choice': the run has no '{choice['type']}' tool.",
                param="tool_choice",
                code="invalid_value",
            )
        return
    name = (choice.get("function") or {}).get("name")
    if name is None:
        raise bad_request(
            "Missing required parameter: 'tool_choice.function.name'.",
            param="tool_choice.function.name",
            code="missing_required_parameter",
        )
    if not any(tool["type"] == "function" and tool["function"]["name"] == name for tool in tools):
        raise bad_request(
            f"Invalid 'tool_choice': function '{name}' is not one of the run's tools.",
            param="tool_choice",
            code="invalid_value",
        )


def check_truncation(strategy: dict[str, Any] | None) -> None:
    if strategy and strategy["type"] == "last_messages" and strategy.get("last_messages") is None:
        raise bad_request(
            "Missing required parameter: 'truncation_strategy.last_messages'.",
            param="truncation_strategy.last_messages",
            code="missing_required_parameter",
        )


def existing_files(state: EmulatorState, file_ids: list[str], param: str) -> list[str]:
    missing = [file_id for file_id in dict.fromkeys(file_ids) if state.store.get("file", file_id) is None]
    if missing:
        raise bad_request(f"Files with ids {missing} were not found.", param=param, code="invalid_value")
    return file_ids


def tool_resources(
    state: EmulatorState, resources: NewToolResources | ToolResources | None, param: str = "tool_resources"
) -> dict[str, Any]:
    """The resources as an object shows them, after checking what they name (and making a new store)."""
    if resources is None:
        return {}
    shown: dict[str, Any] = {}
    if resources.code_interpreter is not None:
        file_ids = resources.code_interpreter.file_ids or []
        existing_files(state, file_ids, f"{param}.code_interpreter.file_ids")
        shown["code_interpreter"] = {"file_ids": file_ids}
    search = resources.file_search
    if search is not None:
        store_ids = list(search.vector_store_ids or [])
        for store_id in store_ids:
            if state.store.get(VECTOR_STORE, store_id) is None:
                raise bad_request(
                    f"Vector store {store_id} was not found.",
                    param=f"{param}.file_search.vector_store_ids",
                    code="invalid_value",
                )
        new = getattr(search, "vector_stores", None) or []
        if new and store_ids:
            raise EmulatorError(
                400,
                f"Invalid '{param}.file_search': give 'vector_store_ids' or 'vector_stores', not both.",
                param=f"{param}.file_search",
                code="invalid_value",
            )
        for index, wanted in enumerate(new):
            store_ids.append(_new_store(state, wanted, f"{param}.file_search.vector_stores[{index}]"))
        shown["file_search"] = {"vector_store_ids": store_ids}
    return shown


def _new_store(state: EmulatorState, wanted: Any, param: str) -> str:
    strategy = chunking(wanted.chunking_strategy)
    return state.seams.new_vector_store(state, wanted.file_ids or [], strategy, wanted.metadata, param)


def message(state: EmulatorState, request: CreateMessageRequest, param: str) -> dict[str, Any]:
    """A message to add, as `thread_messages.add_message` takes it, once the files it names are found."""
    prefix = f"{param}." if param else ""
    parts = content(
        request.content if isinstance(request.content, str) else [dumped(p) for p in request.content]
    )
    images = [part["image_file"]["file_id"] for part in parts if part["type"] == "image_file"]
    existing_files(state, images, f"{prefix}content")
    attachments = [dumped(item) for item in request.attachments or []]
    existing_files(state, [item["file_id"] for item in attachments], f"{prefix}attachments")
    for item in attachments:
        item.setdefault("tools", [])
    return {"role": request.role, "parts": parts, "attachments": attachments, "metadata": request.metadata}
