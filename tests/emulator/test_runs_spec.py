"""Every Assistants API answer of the emulator (assistants, threads, messages, runs, run steps), success or
error, validates against the spec's schema for its path and status, in every state a run can reach."""

from __future__ import annotations

import pytest

from airflow_openai.emulator.assistants.run_lifecycle import EXPIRES_SECONDS
from tests.support.conformance import checked_client

DONE = 3
FUNCTION = {
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
    },
}


@pytest.fixture
def checked(emu):
    """A client of the Assistants API whose every answer is checked against the spec."""
    emu.set_speed(0)
    with checked_client(emu, headers={"OpenAI-Beta": "assistants=v2"}) as (client, checker):
        yield client, checker


def test_assistants_api_answers_validate_against_the_spec(checked, emu):
    client, checker = checked
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

    checker.assert_covers("assistants")
    assert len(checker.covered()) == 23  # every Assistants API operation of the spec
    assert checker.statuses() == {200, 400, 404}


def test_optional_fields_sent_as_null_are_shown_as_the_default(checked):
    """A null where the spec allows only a value (a ranker, an image's detail, an attachment's tools...) is
    answered with the default the service uses, or left out: never echoed as null."""
    client, checker = checked
    image = client.post("files", files={"file": ("a.png", b"\x89PNG")}, data={"purpose": "vision"})
    file_id = image.json()["id"]
    search = {"max_num_results": None, "ranking_options": {"ranker": None, "score_threshold": 0.5}}
    function = {"name": "f", "description": None, "parameters": None, "strict": None}
    nulls = {"metadata": None, "temperature": None, "top_p": None, "response_format": None}
    assistant = client.post(
        "assistants",
        json={
            "model": "gpt-4o-mini",
            "name": None,
            "description": None,
            "instructions": None,
            "tools": [
                {"type": "file_search", "file_search": search},
                {"type": "function", "function": function},
            ],
            "tool_resources": None,
            **nulls,
        },
    ).json()
    assert assistant["tools"][0]["file_search"] == {"ranking_options": {"score_threshold": 0.5}}
    tools = [{"type": "file_search", "file_search": search}, {"type": "function", "function": function}]
    client.post(f"assistants/{assistant['id']}", json={"tools": tools, "name": None})
    images = [
        {"type": "image_url", "image_url": {"url": "https://example.com/x.png", "detail": None}},
        {"type": "image_file", "image_file": {"file_id": file_id, "detail": None}},
    ]
    message = {"role": "user", "content": images, "attachments": [{"file_id": file_id, "tools": None}]}
    thread = client.post(
        "threads", json={"messages": [message], "metadata": None, "tool_resources": None}
    ).json()
    added = client.post(f"threads/{thread['id']}/messages", json={**message, "metadata": None}).json()
    assert [part[part["type"]]["detail"] for part in added["content"]] == ["auto", "auto"]
    assert added["attachments"] == [{"file_id": file_id, "tools": []}]
    run = client.post(
        f"threads/{thread['id']}/runs",
        json={
            "assistant_id": assistant["id"],
            "model": None,
            "instructions": None,
            "additional_instructions": None,
            "additional_messages": None,
            "tools": None,
            "max_prompt_tokens": None,
            "max_completion_tokens": None,
            "truncation_strategy": {"type": "last_messages", "last_messages": 2},
            "tool_choice": {"type": "function", "function": {"name": "f"}},
            "parallel_tool_calls": None,
            **nulls,
        },
    ).json()
    client.get(f"threads/{thread['id']}/runs/{run['id']}")
    client.post(
        "threads/runs",
        json={
            "assistant_id": assistant["id"],
            "thread": {"messages": [message]},
            "tool_resources": None,
            **nulls,
        },
    )
    assert checker.statuses() == {200}
