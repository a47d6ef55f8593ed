"""Every Assistants API answer of the emulator (assistants, threads, messages, runs, run steps), success or
error, validates against the spec's schema for its path and status, in every state a run can reach."""

from __future__ import annotations

import copy

import httpx
import jsonschema
import pytest

from airflow_openai.emulator.assistants.run_lifecycle import EXPIRES_SECONDS
from tests.support.spec import load_spec, response_validator, spec_operation

# Faults of the spec itself, not of the emulator: each (schema, fault, field) is left out of the check, with
# the reason. Indices in a field's path read `*`.
EMPTY_LIST = "an empty list has no first or last id: the service sends null, the schema wants a string"
JSON_SCHEMA_TYPE = (
    "ResponseFormatJsonSchema requires a `type` inside `json_schema`, a field it does not define and that "
    "no request sends (the service echoes the format as given)"
)
SPEC_DEFECTS = {
    **{
        (name, "null id", field): EMPTY_LIST
        for name in ("ListMessagesResponse", "ListRunsResponse", "ListRunStepsResponse")
        for field in ("first_id", "last_id")
    },
    ("AssistantObject", "json_schema.type", "response_format"): JSON_SCHEMA_TYPE,
    ("RunObject", "json_schema.type", "response_format"): JSON_SCHEMA_TYPE,
    ("ListRunsResponse", "json_schema.type", "data.*.response_format"): JSON_SCHEMA_TYPE,
    ("ListAssistantsResponse", "json_schema.type", "data.*.response_format"): JSON_SCHEMA_TYPE,
}
DONE = 3
FUNCTION = {
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
    },
}


def _operation(spec: dict, method: str, concrete_path: str) -> tuple[str, dict]:
    """The spec's operation for a request; a path the spec names literally (`/threads/runs`) before the
    templates it also matches (`/threads/{thread_id}`)."""
    literal = spec["paths"].get(concrete_path.removeprefix("/v1"), {})
    if method.lower() in literal:
        return concrete_path.removeprefix("/v1"), literal[method.lower()]
    return spec_operation(spec, method, concrete_path)


def _fault(spec: dict, error: jsonschema.ValidationError) -> str:
    """Which of the spec's known faults `error` is, if any: the error's message otherwise."""
    if error.message == "None is not of type 'string'":
        return "null id"
    instance = error.instance
    if isinstance(instance, dict) and instance.get("type") == "json_schema":
        schema = copy.deepcopy(spec["components"]["schemas"]["ResponseFormatJsonSchema"])
        schema["properties"]["json_schema"]["required"] = ["name"]
        schema["properties"]["json_schema"]["properties"]["schema"] = {"type": "object"}
        if jsonschema.Draft202012Validator(schema).is_valid(instance):
            return "json_schema.type"
    return error.message


@pytest.fixture
def checked(emu):
    """An httpx client of the Assistants API whose every JSON answer is checked against the spec."""
    spec = load_spec()
    validators: dict[str, object] = {}
    seen: list[str] = []
    excused: set[tuple[str, str, str]] = set()

    def check(response: httpx.Response) -> None:
        response.read()
        template, operation = _operation(spec, response.request.method, response.request.url.path)
        status = str(response.status_code)
        if status.startswith("2"):
            schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
            name = schema["$ref"].rsplit("/", 1)[-1]
        else:
            name = "ErrorResponse"
        validator = validators.setdefault(name, response_validator(spec, name))
        errors = []
        for error in validator.iter_errors(response.json()):
            key = (
                name,
                _fault(spec, error),
                ".".join("*" if isinstance(p, int) else p for p in error.absolute_path),
            )
            if key in SPEC_DEFECTS:
                excused.add(key)
            else:
                errors.append(error)
        assert not errors, (
            f"{response.request.method} {template} -> {status} breaks {name}: "
            f"{errors[0].message} at {list(errors[0].absolute_path)}"
        )
        seen.append(f"{response.request.method} {template} {status}")

    emu.set_speed(0)
    client = httpx.Client(
        base_url=emu.base_url + "/",
        headers={"Authorization": f"Bearer {emu.api_key}", "OpenAI-Beta": "assistants=v2"},
        event_hooks={"response": [check]},
    )
    yield client, seen, excused
    client.close()


def test_assistants_api_answers_validate_against_the_spec(checked, emu):
    client, seen, excused = checked
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    assistant = client.post(
        "assistants",
        json={
            "model": "gpt-4o-mini",
            "name": "Spec",
            "instructions": "Answer in JSON.",
            "tools": [{"type": "code_interpreter"}, {"type": "file_search"}, FUNCTION],
            "metadata": {"k": "v"},
            "response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": schema}},
        },
    ).json()
    plain = client.post("assistants", json={"model": "gpt-4o-mini"}).json()
    client.get(f"assistants/{assistant['id']}")
    client.get("assistants", params={"limit": 1, "order": "asc"})
    client.post(
        f"assistants/{plain['id']}", json={"name": "Plain", "response_format": {"type": "json_object"}}
    )

    thread = client.post(
        "threads",
        json={
            "messages": [
                {"role": "user", "content": "find a lookup"},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "see"},
                        {
                            "type": "image_url",
                            "image_url": {"url": "https://example.com/x.png", "detail": "low"},
                        },
                    ],
                },
            ],
            "metadata": {"k": "v"},
        },
    ).json()
    path = f"threads/{thread['id']}"
    client.get(path)
    client.post(path, json={"metadata": {"k": "w"}})
    message = client.post(f"{path}/messages", json={"role": "assistant", "content": "noted"}).json()
    client.get(f"{path}/messages/{message['id']}")
    client.post(f"{path}/messages/{message['id']}", json={"metadata": {"seen": "1"}})

    # a run through tool calls to completed, read at every state
    run = client.post(f"{path}/runs", json={"assistant_id": assistant["id"]}).json()
    runs = f"{path}/runs"
    client.get(f"{runs}/{run['id']}")
    emu.advance(1)
    client.get(f"{runs}/{run['id']}")
    emu.advance(2)
    waiting = client.get(f"{runs}/{run['id']}").json()
    step_id = client.get(f"{runs}/{run['id']}/steps").json()["data"][0]["id"]
    client.get(f"{runs}/{run['id']}/steps/{step_id}")
    calls = waiting["required_action"]["submit_tool_outputs"]["tool_calls"]
    outputs = [{"tool_call_id": call["id"], "output": "found"} for call in calls]
    client.post(f"{runs}/{run['id']}/submit_tool_outputs", json={"tool_outputs": outputs})
    emu.advance(DONE)
    client.get(f"{runs}/{run['id']}")
    client.post(f"{runs}/{run['id']}", json={"metadata": {"k": "v"}})
    include = {"include[]": "step_details.tool_calls[*].file_search.results[*].content"}
    client.get(f"{runs}/{run['id']}/steps", params={**include, "limit": 1})
    client.get(f"{path}/messages", params={"run_id": run["id"]})

    # incomplete, failed, cancelled, expired
    client.post(
        f"{runs}",
        json={
            "assistant_id": plain["id"],
            "max_prompt_tokens": 256,
            "additional_messages": [{"role": "user", "content": "x " * 700}],
        },
    )
    emu.advance(DONE)
    emu.fail_run(code="invalid_prompt")
    failed = client.post(f"{runs}", json={"assistant_id": plain["id"], "instructions": "json"}).json()
    client.get(f"{runs}/{failed['id']}/steps")
    emu.advance(DONE)
    client.get(f"{runs}/{failed['id']}")
    cancelled = client.post(f"{runs}", json={"assistant_id": plain["id"], "instructions": "json"}).json()
    client.post(f"{runs}/{cancelled['id']}/cancel")
    emu.advance(DONE)
    client.get(f"{runs}/{cancelled['id']}")
    expiring = client.post(
        "threads/runs",
        json={"assistant_id": assistant["id"], "thread": {"messages": [{"role": "user", "content": "q"}]}},
    ).json()
    emu.advance(EXPIRES_SECONDS)
    expired_path = f"threads/{expiring['thread_id']}/runs/{expiring['id']}"
    client.get(expired_path)
    client.get(f"{expired_path}/steps")
    long_answer = {
        "type": "json_schema",
        "json_schema": {
            "name": "l",
            "schema": {"type": "array", "items": {"type": "string"}, "minItems": 400},
        },
    }
    cut = client.post(
        f"{runs}",
        json={"assistant_id": plain["id"], "max_completion_tokens": 256, "response_format": long_answer},
    ).json()
    emu.advance(DONE)
    client.get(f"{runs}/{cut['id']}")
    client.get(f"{path}/messages", params={"limit": 2})
    client.get(f"{runs}", params={"limit": 100})

    # refusals
    client.get("assistants/asst_missing")
    client.post("assistants", json={"model": "gpt-9"})
    client.post("threads", json={"messages": [{"role": "system", "content": "x"}]})
    client.get("threads/thread_missing")
    client.get(f"{path}/messages/msg_missing")
    client.post(f"{runs}", json={"assistant_id": "asst_missing"})
    client.post(f"{runs}/{run['id']}/submit_tool_outputs", json={"tool_outputs": []})
    client.post(f"{runs}/{run['id']}/cancel")
    client.get(f"{runs}/run_missing/steps")
    client.get(f"{runs}/{run['id']}/steps/step_missing")
    client.get(f"{path}/messages", params={"limit": 101})
    empty = client.post("threads", json={}).json()
    client.get(f"threads/{empty['id']}/messages")
    client.get(f"threads/{empty['id']}/runs")
    client.delete(f"{path}/messages/{message['id']}")
    client.delete(path)
    client.delete(f"assistants/{plain['id']}")

    templates = {entry.rsplit(" ", 1)[0] for entry in seen}
    assert len(templates) == 23  # every Assistants API operation of the spec
    assert {entry.rsplit(" ", 1)[-1] for entry in seen} == {"200", "400", "404"}
    assert excused == set(SPEC_DEFECTS)  # each excuse is still needed
