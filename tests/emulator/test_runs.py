"""Assistants, threads, messages, runs and run steps in the emulator: runs that move on its clock to each of
their ends, tool calls whose arguments fit their schema, the service's refusals, cursors, faults, expiry,
cancels and the thread's dashboard page. The clock only moves when a test advances it."""

from __future__ import annotations

import json
import random

import httpx
import jsonschema
import pytest

from airflow_openai.emulator.assistants.run_lifecycle import (
    CANCELLING_SECONDS,
    EXPIRES_SECONDS,
    FAILURE_MESSAGES,
    QUEUED_SECONDS,
    TURN_SECONDS,
)

DONE = QUEUED_SECONDS + TURN_SECONDS
"""Emulated seconds a turn takes from being queued to its end."""

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "minLength": 2},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
                "hourly": {"type": "boolean"},
                "note": {"type": "string"},
            },
            "required": ["city", "unit", "days", "hourly"],
            "additionalProperties": False,
        },
    },
}
BOOKING = {
    "type": "function",
    "function": {
        "name": "book_table",
        "parameters": {
            "type": "object",
            "$defs": {
                "guest": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
            },
            "properties": {
                "when": {"type": "string", "format": "date-time"},
                "email": {"type": "string", "format": "email"},
                "guests": {"type": "array", "items": {"$ref": "#/$defs/guest"}, "minItems": 2},
                "party": {"type": "integer", "exclusiveMinimum": 0, "multipleOf": 2},
                "code": {"type": "string", "pattern": "^[0-9]{3}$"},
                "price": {"type": ["number", "null"], "minimum": 10.5},
            },
            "required": ["when", "email", "guests", "party", "code", "price"],
        },
        "strict": False,
    },
}


@pytest.fixture
def api(emu):
    """A client of the emulator's Assistants API, whose clock only moves when a test advances it."""
    emu.set_speed(0)
    headers = {"Authorization": f"Bearer {emu.api_key}", "OpenAI-Beta": "assistants=v2"}
    with httpx.Client(base_url=emu.base_url, headers=headers) as client:
        yield client


def ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def refused(response: httpx.Response, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error


def new_assistant(api: httpx.Client, **body) -> dict:
    return ok(api.post("/assistants", json={"model": "gpt-4o-mini", **body}))


def new_thread(api: httpx.Client, *texts: str, **body) -> dict:
    messages = [{"role": "user", "content": text} for text in texts]
    return ok(api.post("/threads", json={"messages": messages, **body}))


def start(api: httpx.Client, thread: dict, assistant: dict, **body) -> dict:
    return ok(api.post(f"/threads/{thread['id']}/runs", json={"assistant_id": assistant["id"], **body}))


def get_run(api: httpx.Client, run: dict) -> dict:
    return ok(api.get(f"/threads/{run['thread_id']}/runs/{run['id']}"))


def run_steps(api: httpx.Client, run: dict) -> list[dict]:
    return ok(api.get(f"/threads/{run['thread_id']}/runs/{run['id']}/steps", params={"limit": 100}))["data"]


def thread_messages(api: httpx.Client, thread_id: str, **params) -> list[dict]:
    return ok(api.get(f"/threads/{thread_id}/messages", params={"order": "asc", **params}))["data"]


def text(message: dict) -> str:
    return message["content"][0]["text"]["value"]


def waiting(api: httpx.Client, emu, tools: list, *texts: str, **body) -> dict:
    """A run that has called its functions and waits for their outputs."""
    assistant = new_assistant(api, tools=tools)
    run = start(api, new_thread(api, *texts), assistant, **body)
    emu.advance(DONE)
    run = get_run(api, run)
    assert run["status"] == "requires_action", run
    return run


def submit(api: httpx.Client, run: dict, outputs: list[dict]) -> httpx.Response:
    path = f"/threads/{run['thread_id']}/runs/{run['id']}/submit_tool_outputs"
    return api.post(path, json={"tool_outputs": outputs})


def answer_all(run: dict, output: str = "done") -> list[dict]:
    calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
    return [{"tool_call_id": call["id"], "output": f"{output} {call['function']['name']}"} for call in calls]


# -- assistants --------------------------------------------------------------------------------------


def test_an_assistant_is_created_read_modified_and_deleted(api):
    created = new_assistant(
        api,
        name="Helper",
        description="answers questions",
        instructions="Be brief.",
        tools=[{"type": "code_interpreter"}, {"type": "file_search"}, WEATHER],
        metadata={"team": "docs"},
        temperature=0.5,
        response_format={"type": "json_object"},
        reasoning_effort="low",
    )
    assert created["id"].startswith("asst_") and created["object"] == "assistant"
    assert (created["name"], created["description"], created["instructions"]) == (
        "Helper",
        "answers questions",
        "Be brief.",
    )
    assert [tool["type"] for tool in created["tools"]] == ["code_interpreter", "file_search", "function"]
    assert created["tools"][2] == WEATHER
    assert (created["temperature"], created["top_p"]) == (0.5, 1.0)
    assert created["response_format"] == {"type": "json_object"}
    assert created["tool_resources"] == {} and created["metadata"] == {"team": "docs"}
    assert ok(api.get(f"/assistants/{created['id']}")) == created

    changed = ok(
        api.post(
            f"/assistants/{created['id']}",
            json={"name": "Helper 2", "temperature": None, "response_format": "auto", "tools": []},
        )
    )
    assert changed["name"] == "Helper 2" and changed["temperature"] == 1.0
    assert changed["response_format"] == "auto" and changed["tools"] == []
    assert changed["instructions"] == "Be brief." and changed["metadata"] == {"team": "docs"}

    deleted = ok(api.delete(f"/assistants/{created['id']}"))
    assert deleted == {"id": created["id"], "object": "assistant.deleted", "deleted": True}
    refused(api.get(f"/assistants/{created['id']}"), 404)
    refused(api.delete(f"/assistants/{created['id']}"), 404)
    refused(api.post(f"/assistants/{created['id']}", json={"name": "x"}), 404)


def test_assistants_page_by_cursor_in_either_order(api):
    ids = [new_assistant(api, name=f"a{n}")["id"] for n in range(5)]
    first = ok(api.get("/assistants", params={"limit": 2}))
    assert [item["id"] for item in first["data"]] == [ids[4], ids[3]] and first["has_more"] is True
    assert (first["first_id"], first["last_id"]) == (ids[4], ids[3])
    rest = ok(api.get("/assistants", params={"limit": 10, "after": first["last_id"]}))
    assert [item["id"] for item in rest["data"]] == [ids[2], ids[1], ids[0]] and rest["has_more"] is False
    ascending = ok(api.get("/assistants", params={"order": "asc", "limit": 3}))
    assert [item["id"] for item in ascending["data"]] == ids[:3]
    before = ok(api.get("/assistants", params={"order": "asc", "before": ids[3], "limit": 2}))
    assert [item["id"] for item in before["data"]] == [ids[1], ids[2]]
    refused(api.get("/assistants", params={"limit": 0}))
    refused(api.get("/assistants", params={"order": "up"}))
    refused(api.get("/assistants", params={"after": "asst_missing"}))


def test_what_the_service_refuses_when_an_assistant_is_made(api, emu):
    assert refused(api.post("/assistants", json={"model": "gpt-5o"}))["code"] == "model_not_found"
    embedding = refused(api.post("/assistants", json={"model": "text-embedding-3-small"}))
    assert embedding["code"] == "unsupported_model"
    assert ok(api.post("/assistants", json={"model": "gpt-4o-2024-08-06"}))["model"] == "gpt-4o-2024-08-06"
    missing = refused(api.post("/assistants", json={"name": "x"}))
    assert (missing["param"], missing["code"]) == ("model", "missing_required_parameter")
    unknown = refused(api.post("/assistants", json={"model": "gpt-4o", "file_ids": []}))
    assert (unknown["param"], unknown["code"]) == ("file_ids", "unknown_parameter")
    hot = refused(api.post("/assistants", json={"model": "gpt-4o", "temperature": 3}))
    assert (hot["param"], hot["code"]) == ("temperature", "decimal_above_max_value")
    text_number = refused(api.post("/assistants", json={"model": "gpt-4o", "top_p": "1"}))
    assert (text_number["param"], text_number["code"]) == ("top_p", "invalid_type")
    nameless = refused(
        api.post("/assistants", json={"model": "gpt-4o", "tools": [{"type": "function", "function": {}}]})
    )
    assert (nameless["param"], nameless["code"]) == ("tools[0].function.name", "missing_required_parameter")
    odd_tool = refused(api.post("/assistants", json={"model": "gpt-4o", "tools": [{"type": "browser"}]}))
    assert (odd_tool["param"], odd_tool["code"]) == ("tools[0]", "invalid_value")
    bad_name = {"type": "function", "function": {"name": "get weather"}}
    assert refused(api.post("/assistants", json={"model": "gpt-4o", "tools": [bad_name]}))["param"] == (
        "tools[0].function.name"
    )
    not_a_schema = {"type": "function", "function": {"name": "f", "parameters": {"type": "objekt"}}}
    schema = refused(api.post("/assistants", json={"model": "gpt-4o", "tools": [not_a_schema]}))
    assert (schema["param"], schema["code"]) == (
        "tools[0].function.parameters",
        "invalid_function_parameters",
    )
    not_an_object = {"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}
    assert refused(api.post("/assistants", json={"model": "gpt-4o", "tools": [not_an_object]}))["code"] == (
        "invalid_function_parameters"
    )
    twice = refused(api.post("/assistants", json={"model": "gpt-4o", "tools": [WEATHER, WEATHER]}))
    assert twice["param"] == "tools[1].function.name"
    no_schema = {"type": "json_schema", "json_schema": {"name": "answer"}}
    assert refused(api.post("/assistants", json={"model": "gpt-4o", "response_format": no_schema}))[
        "param"
    ] == ("response_format.json_schema.schema")
    wrong_format = refused(api.post("/assistants", json={"model": "gpt-4o", "response_format": "json"}))
    assert wrong_format["param"] == "response_format"
    too_many = {f"k{n}": "v" for n in range(17)}
    crowded = refused(api.post("/assistants", json={"model": "gpt-4o", "metadata": too_many}))
    assert (crowded["param"], crowded["code"]) == ("metadata", "object_above_max_properties")
    long_value = refused(api.post("/assistants", json={"model": "gpt-4o", "metadata": {"k": "v" * 513}}))
    assert long_value["code"] == "string_above_max_length"
    files = {"code_interpreter": {"file_ids": ["file-missing"]}}
    assert refused(api.post("/assistants", json={"model": "gpt-4o", "tool_resources": files}))["param"] == (
        "tool_resources.code_interpreter.file_ids"
    )
    stores = {"file_search": {"vector_store_ids": ["vs_missing"]}}
    assert refused(api.post("/assistants", json={"model": "gpt-4o", "tool_resources": stores}))["param"] == (
        "tool_resources.file_search.vector_store_ids"
    )
    two = {"file_search": {"vector_store_ids": ["vs_a", "vs_b"]}}
    assert refused(api.post("/assistants", json={"model": "gpt-4o", "tool_resources": two}))["code"] == (
        "array_above_max_length"
    )
    assert [item["model"] for item in ok(api.get("/assistants"))["data"]] == ["gpt-4o-2024-08-06"]


def test_the_beta_header_is_required_as_the_service_requires_it(api, emu):
    bare = httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.api_key}"})
    with bare:
        missing = refused(bare.post("/assistants", json={"model": "gpt-4o"}))
        assert missing["code"] == "invalid_beta" and "OpenAI-Beta: assistants=v2" in missing["message"]
        old = refused(bare.get("/threads/thread_x", headers={"OpenAI-Beta": "assistants=v1"}))
        assert old["code"] == "invalid_beta" and "deprecated" in old["message"]
        assert bare.get("/assistants", headers={"OpenAI-Beta": "other=1, assistants=v2"}).status_code == 200


def test_a_new_vector_store_can_be_made_with_the_assistant(api, emu):
    upload = api.post(
        "/files", files={"file": ("faq.md", b"# FAQ\nAnswers.\n")}, data={"purpose": "assistants"}
    )
    file_id = ok(upload)["id"]
    resources = {"file_search": {"vector_stores": [{"file_ids": [file_id], "metadata": {"made": "here"}}]}}
    assistant = new_assistant(api, tools=[{"type": "file_search"}], tool_resources=resources)
    (store_id,) = assistant["tool_resources"]["file_search"]["vector_store_ids"]
    emu.advance(10)
    store = ok(api.get(f"/vector_stores/{store_id}"))
    assert store["file_counts"]["completed"] == 1 and store["metadata"] == {"made": "here"}
    both = {"file_search": {"vector_store_ids": [store_id], "vector_stores": [{"file_ids": [file_id]}]}}
    refused(api.post("/assistants", json={"model": "gpt-4o", "tool_resources": both}))
    wrong = {"file_search": {"vector_stores": [{"file_ids": ["file-missing"]}]}}
    assert refused(api.post("/assistants", json={"model": "gpt-4o", "tool_resources": wrong}))["param"] == (
        "tool_resources.file_search.vector_stores[0].file_ids"
    )


# -- threads and messages -----------------------------------------------------------------------------


def test_a_thread_is_created_with_messages_modified_and_deleted(api):
    thread = ok(
        api.post(
            "/threads",
            json={
                "messages": [
                    {"role": "user", "content": "Hello", "metadata": {"n": "1"}},
                    {
                        "role": "assistant",
                        "content": [
                            {"type": "text", "text": "Hi."},
                            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                        ],
                    },
                ],
                "metadata": {"user": "ada"},
            },
        )
    )
    assert thread["id"].startswith("thread_") and thread["object"] == "thread"
    assert thread["metadata"] == {"user": "ada"} and thread["tool_resources"] == {}
    first, second = thread_messages(api, thread["id"])
    assert first["role"] == "user" and text(first) == "Hello" and first["metadata"] == {"n": "1"}
    assert first["status"] == "completed" and first["run_id"] is None and first["assistant_id"] is None
    assert first["content"] == [{"type": "text", "text": {"value": "Hello", "annotations": []}}]
    assert second["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "https://example.com/a.png", "detail": "auto"},
    }
    assert ok(api.get(f"/threads/{thread['id']}")) == thread

    changed = ok(api.post(f"/threads/{thread['id']}", json={"metadata": {"user": "grace"}}))
    assert changed["metadata"] == {"user": "grace"}
    deleted = ok(api.delete(f"/threads/{thread['id']}"))
    assert deleted == {"id": thread["id"], "object": "thread.deleted", "deleted": True}
    refused(api.get(f"/threads/{thread['id']}"), 404)
    refused(api.get(f"/threads/{thread['id']}/messages"), 404)
    refused(api.get(f"/threads/{thread['id']}/messages/{first['id']}"), 404)
    refused(api.delete(f"/threads/{thread['id']}"), 404)
    assert ok(api.post("/threads", json={}))["metadata"] == {}


def test_messages_are_added_read_modified_deleted_and_paged(api):
    thread = new_thread(api)
    ids = [
        ok(api.post(f"/threads/{thread['id']}/messages", json={"role": "user", "content": f"m{n}"}))["id"]
        for n in range(5)
    ]
    path = f"/threads/{thread['id']}/messages"
    newest = ok(api.get(path, params={"limit": 2}))
    assert [item["id"] for item in newest["data"]] == [ids[4], ids[3]] and newest["has_more"] is True
    older = ok(api.get(path, params={"after": newest["last_id"]}))
    assert [item["id"] for item in older["data"]] == [ids[2], ids[1], ids[0]] and older["has_more"] is False
    assert [item["id"] for item in thread_messages(api, thread["id"], before=ids[3])] == ids[:3]
    one = ok(api.get(f"{path}/{ids[2]}"))
    assert one["id"] == ids[2] and text(one) == "m2" and one["thread_id"] == thread["id"]

    changed = ok(api.post(f"{path}/{ids[2]}", json={"metadata": {"seen": "yes"}}))
    assert changed["metadata"] == {"seen": "yes"} and text(changed) == "m2"
    refused(api.post(f"{path}/{ids[2]}", json={"content": "edited"}))
    deleted = ok(api.delete(f"{path}/{ids[2]}"))
    assert deleted == {"id": ids[2], "object": "thread.message.deleted", "deleted": True}
    refused(api.get(f"{path}/{ids[2]}"), 404)
    assert [item["id"] for item in thread_messages(api, thread["id"])] == [ids[0], ids[1], ids[3], ids[4]]
    other = new_thread(api, "elsewhere")
    refused(api.get(f"/threads/{other['id']}/messages/{ids[0]}"), 404)


def test_what_the_service_refuses_when_a_message_is_added(api):
    thread = new_thread(api)
    path = f"/threads/{thread['id']}/messages"
    assert refused(api.post(path, json={"role": "system", "content": "x"}))["param"] == "role"
    assert refused(api.post(path, json={"role": "user"}))["code"] == "missing_required_parameter"
    empty = refused(api.post(path, json={"role": "user", "content": []}))
    assert (empty["param"], empty["code"]) == ("content", "empty_array")
    part = refused(api.post(path, json={"role": "user", "content": [{"type": "text"}]}))
    assert (part["param"], part["code"]) == ("content[0].text", "missing_required_parameter")
    image = {"type": "image_file", "image_file": {"file_id": "file-missing"}}
    assert refused(api.post(path, json={"role": "user", "content": [image]}))["param"] == "content"
    attachment = [{"file_id": "file-missing", "tools": [{"type": "file_search"}]}]
    assert refused(api.post(path, json={"role": "user", "content": "x", "attachments": attachment}))[
        "param"
    ] == ("attachments")
    nested = {"messages": [{"role": "user", "content": "x", "metadata": {"k": "v" * 600}}]}
    assert refused(api.post("/threads", json=nested))["param"] == "messages[0].metadata.k"
    refused(api.post("/threads/thread_missing/messages", json={"role": "user", "content": "x"}), 404)
    assert thread_messages(api, thread["id"]) == []


# -- runs: the way to completed -------------------------------------------------------------------------


def test_a_run_moves_on_the_clock_to_completed_with_its_message_step_and_usage(api, emu):
    assistant = new_assistant(api, instructions="You answer questions about the sea.")
    thread = new_thread(api, "Why is the sea salty?")
    run = start(api, thread, assistant, metadata={"ticket": "42"})
    assert run["id"].startswith("run_") and run["object"] == "thread.run"
    assert run["status"] == "queued" and run["started_at"] is None and run["usage"] is None
    assert run["expires_at"] == run["created_at"] + EXPIRES_SECONDS
    assert run["model"] == "gpt-4o-mini" and run["instructions"] == "You answer questions about the sea."
    assert run["tools"] == [] and run["metadata"] == {"ticket": "42"}
    assert run["truncation_strategy"] == {"type": "auto", "last_messages": None}
    assert (run["tool_choice"], run["parallel_tool_calls"], run["response_format"]) == ("auto", True, "auto")
    assert (run["temperature"], run["top_p"]) == (1.0, 1.0)
    assert run["max_prompt_tokens"] is None and run["max_completion_tokens"] is None

    emu.advance(QUEUED_SECONDS)
    running = get_run(api, run)
    assert running["status"] == "in_progress" and running["started_at"] == run["created_at"] + QUEUED_SECONDS
    assert run_steps(api, run) == [] and len(thread_messages(api, thread["id"])) == 1

    emu.advance(TURN_SECONDS)
    done = get_run(api, run)
    assert done["status"] == "completed" and done["completed_at"] == run["created_at"] + DONE
    assert done["expires_at"] is None and done["last_error"] is None and done["required_action"] is None
    question, reply = thread_messages(api, thread["id"])
    assert reply["role"] == "assistant" and reply["status"] == "completed"
    assert text(reply) == "Emulated answer to: Why is the sea salty?"
    assert (reply["run_id"], reply["assistant_id"]) == (run["id"], assistant["id"])
    assert reply["created_at"] == running["started_at"] and reply["completed_at"] == done["completed_at"]
    (step,) = run_steps(api, run)
    assert (
        step["id"].startswith("step_")
        and step["type"] == "message_creation"
        and step["status"] == "completed"
    )
    assert step["step_details"] == {
        "type": "message_creation",
        "message_creation": {"message_id": reply["id"]},
    }
    assert step["usage"] == done["usage"]
    usage = done["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert ok(api.get(f"/threads/{thread['id']}/runs/{run['id']}/steps/{step['id']}")) == step
    only_run = ok(api.get(f"/threads/{thread['id']}/messages", params={"run_id": run["id"]}))["data"]
    assert [message["id"] for message in only_run] == [reply["id"]]
    assert question["run_id"] is None


def test_a_run_takes_its_own_settings_over_its_assistants(api, emu):
    assistant = new_assistant(api, instructions="Be brief.", temperature=0.2, tools=[WEATHER])
    thread = new_thread(api, "first")
    run = start(
        api,
        thread,
        assistant,
        model="gpt-4o",
        additional_instructions="Answer in French.",
        additional_messages=[{"role": "user", "content": "second"}],
        tools=[],
        temperature=0.7,
        top_p=0.9,
        max_prompt_tokens=1000,
        max_completion_tokens=1000,
        truncation_strategy={"type": "last_messages", "last_messages": 5},
        tool_choice="none",
        parallel_tool_calls=False,
        response_format={"type": "text"},
    )
    assert run["model"] == "gpt-4o" and run["instructions"] == "Be brief.\n\nAnswer in French."
    assert (run["temperature"], run["top_p"], run["tools"]) == (0.7, 0.9, [])
    assert run["truncation_strategy"] == {"type": "last_messages", "last_messages": 5}
    assert (run["tool_choice"], run["parallel_tool_calls"]) == ("none", False)
    assert [text(message) for message in thread_messages(api, thread["id"])] == ["first", "second"]
    emu.advance(DONE)
    assert get_run(api, run)["status"] == "completed"
    assert text(thread_messages(api, thread["id"])[-1]) == "Emulated answer to: second"
    replaced = start(api, thread, assistant, instructions="Only this.")
    assert replaced["instructions"] == "Only this." and replaced["temperature"] == 0.2
    assert replaced["tools"] == [WEATHER]


def test_a_thread_runs_one_run_at_a_time_and_takes_no_message_meanwhile(api, emu):
    assistant = new_assistant(api)
    thread = new_thread(api, "hello")
    run = start(api, thread, assistant)
    busy = refused(api.post(f"/threads/{thread['id']}/messages", json={"role": "user", "content": "more"}))
    assert busy["message"] == f"Can't add messages to {thread['id']} while a run {run['id']} is active."
    second = refused(api.post(f"/threads/{thread['id']}/runs", json={"assistant_id": assistant["id"]}))
    assert second["message"] == f"Thread {thread['id']} already has an active run {run['id']}."
    emu.advance(DONE)
    ok(api.post(f"/threads/{thread['id']}/messages", json={"role": "user", "content": "more"}))
    assert start(api, thread, assistant)["status"] == "queued"


def test_create_thread_and_run_makes_both(api, emu):
    assistant = new_assistant(api, instructions="Help.")
    run = ok(
        api.post(
            "/threads/runs",
            json={
                "assistant_id": assistant["id"],
                "thread": {
                    "messages": [{"role": "user", "content": "Tell me a joke"}],
                    "metadata": {"k": "v"},
                },
                "metadata": {"run": "1"},
            },
        )
    )
    thread = ok(api.get(f"/threads/{run['thread_id']}"))
    assert thread["metadata"] == {"k": "v"} and run["metadata"] == {"run": "1"}
    emu.advance(DONE)
    assert get_run(api, run)["status"] == "completed"
    assert text(thread_messages(api, thread["id"])[-1]) == "Emulated answer to: Tell me a joke"
    bare = ok(api.post("/threads/runs", json={"assistant_id": assistant["id"]}))
    emu.advance(DONE)
    assert get_run(api, bare)["status"] == "completed"
    refused(api.post("/threads/runs", json={"assistant_id": "asst_missing"}), 404)
    wrong = {"assistant_id": assistant["id"], "thread": {"messages": [{"role": "user"}]}}
    assert refused(api.post("/threads/runs", json=wrong))["param"] == "thread.messages[0].content"


def test_what_the_service_refuses_when_a_run_is_created(api, emu):
    assistant = new_assistant(api, tools=[WEATHER])
    thread = new_thread(api, "hi")
    path = f"/threads/{thread['id']}/runs"
    refused(api.post(path, json={"assistant_id": "asst_missing"}), 404)
    refused(api.post("/threads/thread_missing/runs", json={"assistant_id": assistant["id"]}), 404)
    assert refused(api.post(path, json={}))["param"] == "assistant_id"
    low = refused(api.post(path, json={"assistant_id": assistant["id"], "max_completion_tokens": 100}))
    assert (low["param"], low["code"]) == ("max_completion_tokens", "integer_below_min_value")
    stream = refused(api.post(path, json={"assistant_id": assistant["id"], "stream": True}))
    assert stream["param"] == "stream"
    named = {"type": "function", "function": {"name": "nope"}}
    assert refused(api.post(path, json={"assistant_id": assistant["id"], "tool_choice": named}))["param"] == (
        "tool_choice"
    )
    no_name = {"type": "function"}
    assert refused(api.post(path, json={"assistant_id": assistant["id"], "tool_choice": no_name}))[
        "param"
    ] == ("tool_choice.function.name")
    no_search = {"type": "file_search"}
    refused(api.post(path, json={"assistant_id": assistant["id"], "tool_choice": no_search}))
    truncation = {"type": "last_messages"}
    assert (
        refused(api.post(path, json={"assistant_id": assistant["id"], "truncation_strategy": truncation}))[
            "param"
        ]
        == "truncation_strategy.last_messages"
    )
    refused(api.post(path, json={"assistant_id": assistant["id"], "model": "gpt-9"}))
    include = refused(
        api.post(path, params={"include[]": "everything"}, json={"assistant_id": assistant["id"]})
    )
    assert include["param"] == "include[]"
    assert ok(api.get(path))["data"] == []


def test_runs_and_steps_are_listed_modified_and_found_only_under_their_thread(api, emu):
    assistant = new_assistant(api)
    thread = new_thread(api, "one")
    runs = []
    for _ in range(3):
        runs.append(start(api, thread, assistant)["id"])
        emu.advance(DONE)
    path = f"/threads/{thread['id']}/runs"
    listed = ok(api.get(path, params={"limit": 2}))
    assert [item["id"] for item in listed["data"]] == [runs[2], runs[1]] and listed["has_more"] is True
    assert all(item["status"] == "completed" for item in listed["data"])
    assert [item["id"] for item in ok(api.get(path, params={"order": "asc"}))["data"]] == runs
    changed = ok(api.post(f"{path}/{runs[0]}", json={"metadata": {"reviewed": "yes"}}))
    assert changed["metadata"] == {"reviewed": "yes"} and changed["status"] == "completed"
    refused(api.post(f"{path}/{runs[0]}", json={"instructions": "x"}))
    other = new_thread(api)
    refused(api.get(f"/threads/{other['id']}/runs/{runs[0]}"), 404)
    refused(api.get(f"{path}/run_missing"), 404)
    steps_path = f"{path}/{runs[0]}/steps"
    include = {"include[]": "step_details.tool_calls[*].file_search.results[*].content"}
    (step,) = ok(api.get(steps_path, params=include))["data"]
    assert ok(api.get(f"{steps_path}/{step['id']}", params=include)) == step
    refused(api.get(f"{steps_path}/step_missing"), 404)
    refused(api.get(f"{path}/{runs[1]}/steps/{step['id']}"), 404)
    refused(api.get(steps_path, params={"include[]": "all"}))


# -- tool calls -----------------------------------------------------------------------------------------


def test_a_function_call_waits_for_outputs_with_arguments_that_fit_the_schema(api, emu):
    run = waiting(api, emu, [WEATHER, BOOKING], "Please book_table for us")
    assert run["expires_at"] == run["created_at"] + EXPIRES_SECONDS and run["usage"] is None
    action = run["required_action"]
    assert action["type"] == "submit_tool_outputs"
    (call,) = action["submit_tool_outputs"]["tool_calls"]
    assert call["id"].startswith("call_") and call["type"] == "function"
    assert call["function"]["name"] == "book_table"  # named in the message
    arguments = json.loads(call["function"]["arguments"])
    jsonschema.validate(arguments, BOOKING["function"]["parameters"])
    assert len(arguments["guests"]) == 2 and arguments["party"] == 2 and arguments["code"] == "000"
    (step,) = run_steps(api, run)
    assert step["type"] == "tool_calls" and step["status"] == "in_progress" and step["usage"] is None
    assert step["step_details"]["tool_calls"] == [{**call, "function": {**call["function"], "output": None}}]

    first = waiting(api, emu, [WEATHER, BOOKING], "What's on?")
    (default,) = first["required_action"]["submit_tool_outputs"]["tool_calls"]
    assert default["function"]["name"] == "get_weather"  # none named: the first function
    arguments = json.loads(default["function"]["arguments"])
    jsonschema.validate(arguments, WEATHER["function"]["parameters"])
    assert arguments == {"city": "What's on?", "unit": "celsius", "days": 1, "hourly": False}


def test_submitted_outputs_finish_the_run_and_its_answer_uses_them(api, emu):
    run = waiting(api, emu, [WEATHER], "Weather in Oslo?")
    (call,) = run["required_action"]["submit_tool_outputs"]["tool_calls"]
    wrong = refused(submit(api, run, [{"tool_call_id": "call_unknown", "output": "x"}]))
    assert wrong["param"] == "tool_outputs[0].tool_call_id"
    assert refused(submit(api, run, []))["param"] == "tool_outputs"
    twice = [{"tool_call_id": call["id"], "output": "a"}, {"tool_call_id": call["id"], "output": "b"}]
    assert refused(submit(api, run, twice))["param"] == "tool_outputs[0].tool_call_id"
    assert refused(submit(api, run, [{"output": "x"}]))["param"] == "tool_outputs[0].tool_call_id"
    assert get_run(api, run)["status"] == "requires_action"

    resumed = ok(submit(api, run, [{"tool_call_id": call["id"], "output": "Sunny, 21 C"}]))
    assert resumed["status"] == "queued" and resumed["required_action"] is None
    (tool_step,) = run_steps(api, run)
    assert tool_step["status"] == "completed" and tool_step["usage"]["total_tokens"] > 0
    assert tool_step["step_details"]["tool_calls"][0]["function"]["output"] == "Sunny, 21 C"
    again = refused(submit(api, run, [{"tool_call_id": call["id"], "output": "again"}]))
    assert again["message"] == 'Runs in status "queued" do not accept tool outputs.'

    emu.advance(DONE)
    done = get_run(api, run)
    assert done["status"] == "completed"
    reply = thread_messages(api, run["thread_id"])[-1]
    assert "get_weather returned: Sunny, 21 C" in text(reply)
    message_step, first_step = run_steps(api, run)
    assert (message_step["type"], first_step["id"]) == ("message_creation", tool_step["id"])
    total = {
        key: message_step["usage"][key] + tool_step["usage"][key]
        for key in ("prompt_tokens", "completion_tokens", "total_tokens")
    }
    assert done["usage"] == total


def test_functions_named_in_the_message_are_called_together_unless_told_otherwise(api, emu):
    both = waiting(api, emu, [WEATHER, BOOKING], "get_weather then book_table")
    calls = both["required_action"]["submit_tool_outputs"]["tool_calls"]
    assert [call["function"]["name"] for call in calls] == ["get_weather", "book_table"]
    assert len({call["id"] for call in calls}) == 2
    missing = refused(submit(api, both, answer_all(both)[:1]))
    assert missing["param"] == "tool_outputs" and calls[1]["id"] in missing["message"]
    ok(submit(api, both, answer_all(both, "fine")))
    emu.advance(DONE)
    reply = text(thread_messages(api, both["thread_id"])[-1])
    assert (
        "get_weather returned: fine get_weather" in reply and "book_table returned: fine book_table" in reply
    )

    single = waiting(api, emu, [WEATHER, BOOKING], "get_weather then book_table", parallel_tool_calls=False)
    assert len(single["required_action"]["submit_tool_outputs"]["tool_calls"]) == 1
    named = {"type": "function", "function": {"name": "book_table"}}
    chosen = waiting(api, emu, [WEATHER, BOOKING], "get_weather", tool_choice=named)
    (call,) = chosen["required_action"]["submit_tool_outputs"]["tool_calls"]
    assert call["function"]["name"] == "book_table"

    assistant = new_assistant(api, tools=[WEATHER, {"type": "code_interpreter"}])
    quiet = start(api, new_thread(api, "get_weather"), assistant, tool_choice="none")
    emu.advance(DONE)
    assert get_run(api, quiet)["status"] == "completed"
    builtin = start(api, new_thread(api, "hi"), new_assistant(api, tools=[{"type": "file_search"}]))
    emu.advance(DONE)
    assert [step["type"] for step in run_steps(api, get_run(api, builtin))] == ["message_creation"]


def test_a_json_object_answer_lists_the_outputs(api, emu):
    assistant = new_assistant(api, tools=[WEATHER], instructions="Answer in JSON.")
    run = start(api, new_thread(api, "Weather?"), assistant, response_format={"type": "json_object"})
    emu.advance(DONE)
    run = get_run(api, run)
    ok(submit(api, run, answer_all(run, "rain")))
    emu.advance(DONE)
    answer = json.loads(text(thread_messages(api, run["thread_id"])[-1]))
    assert answer["tool_outputs"] == [{"name": "get_weather", "output": "rain get_weather"}]


# -- the other ends -------------------------------------------------------------------------------------


def test_a_prompt_longer_than_max_prompt_tokens_ends_incomplete(api, emu):
    assistant = new_assistant(api)
    long = "word " * 400  # 500 tokens
    run = start(api, new_thread(api, long), assistant, max_prompt_tokens=256)
    emu.advance(DONE)
    run = get_run(api, run)
    assert run["status"] == "incomplete" and run["incomplete_details"] == {"reason": "max_prompt_tokens"}
    assert run["usage"] == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    assert run["completed_at"] is None and run["expires_at"] is None
    assert run_steps(api, run) == [] and len(thread_messages(api, run["thread_id"])) == 1

    truncated = start(api, new_thread(api, long, "short question"), assistant, max_prompt_tokens=256)
    emu.advance(DONE)
    truncated = get_run(api, truncated)
    assert truncated["status"] == "completed"  # `auto` drops the oldest message to fit
    assert truncated["usage"]["prompt_tokens"] <= 256
    last = start(
        api,
        new_thread(api, long, "short"),
        assistant,
        truncation_strategy={"type": "last_messages", "last_messages": 1},
    )
    emu.advance(DONE)
    assert get_run(api, last)["usage"]["prompt_tokens"] < 10


def test_an_answer_longer_than_max_completion_tokens_is_cut_and_incomplete(api, emu):
    schema = {
        "type": "object",
        "properties": {"items": {"type": "array", "minItems": 300, "items": {"type": "string"}}},
        "required": ["items"],
        "additionalProperties": False,
    }
    assistant = new_assistant(
        api, response_format={"type": "json_schema", "json_schema": {"name": "list", "schema": schema}}
    )
    run = start(api, new_thread(api, "List many things"), assistant, max_completion_tokens=256)
    emu.advance(DONE)
    run = get_run(api, run)
    assert run["status"] == "incomplete" and run["incomplete_details"] == {"reason": "max_completion_tokens"}
    assert run["usage"]["completion_tokens"] == 256
    reply = thread_messages(api, run["thread_id"])[-1]
    assert reply["status"] == "incomplete" and reply["incomplete_details"] == {"reason": "max_tokens"}
    assert reply["incomplete_at"] is not None and reply["completed_at"] is None
    assert len(text(reply)) == 256 * 4
    (step,) = run_steps(api, run)
    assert step["status"] == "completed" and step["usage"]["completion_tokens"] == 256


def test_a_json_schema_response_format_is_honoured(api, emu):
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "score": {"type": "integer", "minimum": 1, "maximum": 5},
            "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
        },
        "required": ["title", "score", "tags"],
        "additionalProperties": False,
    }
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "review", "schema": schema, "strict": True},
    }
    assistant = new_assistant(api, response_format=response_format)
    assert assistant["response_format"] == response_format
    run = start(api, new_thread(api, "Review this book"), assistant)
    assert run["response_format"] == response_format
    emu.advance(DONE)
    assert get_run(api, run)["status"] == "completed"
    jsonschema.validate(json.loads(text(thread_messages(api, run["thread_id"])[-1])), schema)

    plain = new_assistant(api, instructions="Reply in json.")
    json_run = start(api, new_thread(api, "Hi"), plain, response_format={"type": "json_object"})
    emu.advance(DONE)
    assert isinstance(json.loads(text(thread_messages(api, json_run["thread_id"])[-1])), dict)
    bad = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": 5}}}
    assert (
        refused(
            api.post(
                f"/threads/{run['thread_id']}/runs",
                json={"assistant_id": plain["id"], "response_format": bad},
            )
        )["param"]
        == "response_format.json_schema.schema"
    )


def test_a_refused_prompt_fails_the_run_with_invalid_prompt(api, emu):
    assistant = new_assistant(api, instructions="Be helpful.")
    run = start(api, new_thread(api, "Hi"), assistant, response_format={"type": "json_object"})
    emu.advance(DONE)
    run = get_run(api, run)
    assert run["status"] == "failed" and run["last_error"]["code"] == "invalid_prompt"
    assert "json" in run["last_error"]["message"]  # JSON mode needs the word in the messages


def test_a_fault_fails_the_next_run_or_a_chosen_one(api, emu):
    assistant = new_assistant(api)
    emu.fail_run()
    assert httpx.get(f"{emu.url}/_emulator/faults").json()["run_failures"] == [
        {"code": "server_error", "message": FAILURE_MESSAGES["server_error"]}
    ]
    run = start(api, new_thread(api, "hi"), assistant)
    emu.advance(DONE)
    failed = get_run(api, run)
    assert failed["status"] == "failed" and failed["failed_at"] == run["created_at"] + DONE
    assert failed["last_error"] == {"code": "server_error", "message": FAILURE_MESSAGES["server_error"]}
    assert failed["expires_at"] is None and failed["usage"] == {
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "total_tokens": 0,
    }
    assert run_steps(api, run) == [] and len(thread_messages(api, run["thread_id"])) == 1

    later = start(api, new_thread(api, "hi"), assistant)
    assert get_run(api, later)["status"] == "queued"  # the fault struck once
    emu.fail_run(later["id"], code="rate_limit_exceeded", message="Slow down.")
    emu.advance(DONE)
    assert get_run(api, later)["last_error"] == {"code": "rate_limit_exceeded", "message": "Slow down."}

    tools = waiting(api, emu, [WEATHER], "weather")
    emu.fail_run(tools["id"], code="invalid_prompt")
    ok(submit(api, tools, answer_all(tools)))
    emu.advance(DONE)
    failed = get_run(api, tools)
    assert failed["status"] == "failed" and failed["last_error"]["code"] == "invalid_prompt"
    assert [step["status"] for step in run_steps(api, failed)] == ["completed"]


def test_the_run_fault_route_is_checked_like_the_other_control_routes(api, emu):
    route = f"{emu.url}/_emulator/faults/runs"
    assert httpx.post(route, json={"run_id": "run_missing"}).status_code == 404
    wrong = httpx.post(route, json={"code": "timeout"})
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "code"
    unknown = httpx.post(route, json={"at_step": 1})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown_parameter"
    assert httpx.post(route, json={"message": ""}).status_code == 400
    assistant = new_assistant(api)
    run = start(api, new_thread(api, "x"), assistant)
    emu.advance(DONE)
    ended = httpx.post(route, json={"run_id": run["id"]})
    assert ended.status_code == 400 and "completed" in ended.json()["error"]["message"]
    emu.fail_run()
    emu.clear_faults()
    assert httpx.get(f"{emu.url}/_emulator/faults").json()["run_failures"] == []
    emu.fail_run()
    emu.reset()
    assert httpx.get(f"{emu.url}/_emulator/faults").json()["run_failures"] == []


def test_a_run_waiting_for_outputs_expires_ten_minutes_after_it_was_created(api, emu):
    run = waiting(api, emu, [WEATHER], "weather")
    emu.advance(EXPIRES_SECONDS - DONE - 1)
    assert get_run(api, run)["status"] == "requires_action"
    emu.advance(1)
    expired = get_run(api, run)
    assert expired["status"] == "expired" and expired["required_action"] is None
    assert expired["expires_at"] == run["created_at"] + EXPIRES_SECONDS
    assert expired["usage"]["total_tokens"] > 0
    (step,) = run_steps(api, run)
    assert step["status"] == "expired" and step["expired_at"] == expired["expires_at"]
    late = refused(submit(api, run, answer_all(run)))
    assert late["message"] == 'Runs in status "expired" do not accept tool outputs.'
    ok(api.post(f"/threads/{run['thread_id']}/messages", json={"role": "user", "content": "again"}))


def test_a_cancelled_run_goes_through_cancelling(api, emu):
    assistant = new_assistant(api)
    run = start(api, new_thread(api, "hi"), assistant)
    path = f"/threads/{run['thread_id']}/runs/{run['id']}/cancel"
    cancelling = ok(api.post(path))
    assert cancelling["status"] == "cancelling" and cancelling["cancelled_at"] is None
    assert ok(api.post(path))["status"] == "cancelling"  # again: harmless
    emu.advance(CANCELLING_SECONDS)
    cancelled = get_run(api, run)
    assert (
        cancelled["status"] == "cancelled"
        and cancelled["cancelled_at"] == run["created_at"] + CANCELLING_SECONDS
    )
    assert cancelled["expires_at"] is None and cancelled["usage"] is not None
    emu.advance(DONE)
    assert get_run(api, run)["status"] == "cancelled" and len(thread_messages(api, run["thread_id"])) == 1
    assert refused(api.post(path))["message"] == "Cannot cancel run with status 'cancelled'."

    tools = waiting(api, emu, [WEATHER], "weather")
    ok(api.post(f"/threads/{tools['thread_id']}/runs/{tools['id']}/cancel"))
    emu.advance(CANCELLING_SECONDS)
    assert get_run(api, tools)["status"] == "cancelled"
    (step,) = run_steps(api, tools)
    assert step["status"] == "cancelled" and step["cancelled_at"] is not None

    done = start(api, new_thread(api, "x"), assistant)
    emu.advance(DONE)
    finished = refused(api.post(f"/threads/{done['thread_id']}/runs/{done['id']}/cancel"))
    assert finished["message"] == "Cannot cancel run with status 'completed'."
    refused(api.post(f"/threads/{done['thread_id']}/runs/run_missing/cancel"), 404)


def test_deleting_a_thread_deletes_its_runs(api, emu):
    run = start(api, new_thread(api, "hi"), new_assistant(api))
    emu.advance(DONE)
    ok(api.delete(f"/threads/{run['thread_id']}"))
    refused(api.get(f"/threads/{run['thread_id']}/runs/{run['id']}"), 404)
    assert emu.state.store.get("thread.run", run["id"]) is None


def test_the_dashboard_shows_a_threads_messages_and_runs(api, emu):
    run = waiting(api, emu, [WEATHER], "Weather & <tides>?")
    page = httpx.get(f"{emu.dashboard_url}/threads/{run['thread_id']}")
    assert page.status_code == 200
    assert f"Thread {run['thread_id']}" in page.text and "Weather &amp; &lt;tides&gt;?" in page.text
    assert run["id"] in page.text and "requires_action" in page.text and "get_weather" in page.text
    ok(submit(api, run, answer_all(run, "calm sea")))
    emu.advance(DONE)
    page = httpx.get(f"{emu.dashboard_url}/threads/{run['thread_id']}")
    assert "completed" in page.text and "calm sea get_weather" in page.text and "prompt +" in page.text
    assert httpx.get(f"{emu.dashboard_url}/threads/thread_missing").status_code == 404


VALUES = [None, True, 0, 300, -1, 1.5, "", "x", "auto", "none", "user", [], [None], ["x"], {}, {"a": 1}]
NESTED = {
    "tools": [[{"type": "function"}], [{"type": "function", "function": {"name": "f", "parameters": []}}]],
    "response_format": [{"type": "json_schema"}, {"type": "json_schema", "json_schema": {"name": "n"}}],
    "tool_choice": [{"type": "function", "function": {}}, {"type": "code_interpreter"}],
    "truncation_strategy": [{"type": "last_messages", "last_messages": 0}],
    "content": [[{"type": "text", "text": 3}], [{"type": "image_url", "image_url": {"url": "ftp://x"}}]],
    "tool_outputs": [[{"tool_call_id": "call_x"}], [{"output": 3}]],
    "thread": [{"messages": [{}]}, {"messages": "x"}],
    "tool_resources": [{"file_search": {"vector_stores": [{"file_ids": 3}]}}],
}
FIELDS = {
    "/assistants": ["model", "name", "tools", "response_format", "metadata", "temperature", "tool_resources"],
    "/threads": ["messages", "metadata", "tool_resources"],
    "/threads/{thread}/messages": ["role", "content", "attachments", "metadata"],
    "/threads/{thread}/runs": [
        "assistant_id",
        "tools",
        "tool_choice",
        "truncation_strategy",
        "response_format",
    ],
    "/threads/runs": ["assistant_id", "thread", "max_prompt_tokens", "parallel_tool_calls"],
    "/threads/{thread}/runs/{run}/submit_tool_outputs": ["tool_outputs", "stream"],
}


@pytest.mark.parametrize("seed", range(2))
def test_generated_bodies_never_get_a_5xx(api, emu, seed):
    rng = random.Random(seed)
    run = waiting(api, emu, [WEATHER], "weather")
    ids = {"thread": run["thread_id"], "run": run["id"]}
    for _ in range(150):
        template, fields = rng.choice(list(FIELDS.items()))
        body = {name: rng.choice(VALUES + NESTED.get(name, [])) for name in fields if rng.random() < 0.7}
        if template.endswith("/runs") and rng.random() < 0.5:
            body["assistant_id"] = run["assistant_id"]
        response = api.post(template.format(**ids), json=body)
        assert response.status_code < 500, (template, body, response.text)
        if response.status_code >= 400:
            assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    for query in ({"limit": "all"}, {"order": ""}, {"before": ""}, {"run_id": 3}):
        assert api.get(f"/threads/{run['thread_id']}/messages", params=query).status_code in (200, 400)
    not_an_object = api.post("/assistants", content=b"[1, 2]", headers={"Content-Type": "application/json"})
    assert not_an_object.status_code == 400
