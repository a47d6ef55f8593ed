"""The official `openai` SDK's Assistants API calls work against the emulator, its polling helpers included
(`create_and_poll`, `submit_tool_outputs_and_poll`, `create_and_run_poll`), at the emulator's default speed."""

from __future__ import annotations

import json

import jsonschema
import pytest

openai = pytest.importorskip("openai", reason="the official openai SDK is in the dev group")

POLL_MS = 50
LOOKUP = {
    "type": "function",
    "function": {
        "name": "lookup_order",
        "description": "An order's status",
        "parameters": {
            "type": "object",
            "properties": {
                "order_id": {"type": "string", "pattern": "^ORD-[0-9]{4}$"},
                "detail": {"type": "string", "enum": ["short", "full"]},
            },
            "required": ["order_id", "detail"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}


@pytest.fixture
def client(emu):
    with openai.OpenAI(api_key=emu.api_key, base_url=emu.base_url, max_retries=0) as client:
        yield client


def test_the_sdk_runs_an_assistant_to_its_answer(client):
    assistant = client.beta.assistants.create(
        model="gpt-4o-mini",
        name="Tutor",
        description="explains",
        instructions="You explain things simply.",
        metadata={"team": "edu"},
        temperature=0.3,
    )
    assert assistant.object == "assistant" and assistant.description == "explains"
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "What is a prime number?"}])
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=POLL_MS, metadata={"case": "1"}
    )
    assert run.status == "completed" and run.usage is not None and run.usage.total_tokens > 0
    assert run.temperature == 0.3 and run.instructions == "You explain things simply."

    messages = client.beta.threads.messages.list(thread_id=thread.id, order="asc")
    question, answer = messages.data
    assert answer.role == "assistant" and answer.run_id == run.id
    assert answer.content[0].text.value == "Emulated answer to: What is a prime number?"
    (step,) = client.beta.threads.runs.steps.list(
        thread_id=thread.id,
        run_id=run.id,
        include=["step_details.tool_calls[*].file_search.results[*].content"],
    ).data
    assert step.type == "message_creation" and step.step_details.message_creation.message_id == answer.id
    assert client.beta.threads.runs.steps.retrieve(step.id, thread_id=thread.id, run_id=run.id).id == step.id

    updated = client.beta.threads.runs.update(run.id, thread_id=thread.id, metadata={"case": "2"})
    assert updated.metadata == {"case": "2"}
    note = client.beta.threads.messages.create(thread_id=thread.id, role="user", content="Thanks")
    assert client.beta.threads.messages.update(
        note.id, thread_id=thread.id, metadata={"k": "v"}
    ).metadata == {"k": "v"}
    assert client.beta.threads.messages.retrieve(note.id, thread_id=thread.id).id == note.id
    assert client.beta.threads.messages.delete(note.id, thread_id=thread.id).deleted is True
    assert [item.id for item in client.beta.threads.runs.list(thread_id=thread.id)] == [run.id]

    assert client.beta.threads.update(thread.id, metadata={"k": "v"}).metadata == {"k": "v"}
    assert client.beta.threads.retrieve(thread.id).id == thread.id
    assert client.beta.threads.delete(thread.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.retrieve(thread.id)


def test_the_sdk_answers_tool_calls_and_polls_to_the_end(client):
    assistant = client.beta.assistants.create(
        model="gpt-4o-mini", tools=[LOOKUP], instructions="Help with orders."
    )
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Where is my order?"}])
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=POLL_MS
    )
    assert run.status == "requires_action"
    (call,) = run.required_action.submit_tool_outputs.tool_calls
    assert call.function.name == "lookup_order"
    arguments = json.loads(call.function.arguments)
    jsonschema.validate(arguments, LOOKUP["function"]["parameters"])
    assert arguments["detail"] == "short"

    with pytest.raises(openai.BadRequestError) as refused:
        client.beta.threads.runs.submit_tool_outputs(
            run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": "call_wrong", "output": "x"}]
        )
    assert refused.value.body["param"] == "tool_outputs[0].tool_call_id"

    done = client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": call.id, "output": "Shipped on Monday"}],
        poll_interval_ms=POLL_MS,
    )
    assert done.status == "completed"
    answer = client.beta.threads.messages.list(thread_id=thread.id, run_id=run.id).data[0]
    assert "lookup_order returned: Shipped on Monday" in answer.content[0].text.value
    kinds = [step.type for step in client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id)]
    assert kinds == ["message_creation", "tool_calls"]


def test_the_sdk_creates_a_thread_and_run_in_one_call_and_cancels(client, emu):
    assistant = client.beta.assistants.create(
        model="gpt-4o-mini",
        response_format={
            "type": "json_schema",
            "json_schema": {
                "name": "answer",
                "schema": {
                    "type": "object",
                    "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
                    "required": ["answer", "confidence"],
                    "additionalProperties": False,
                },
                "strict": True,
            },
        },
    )
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "Is water wet?"}]},
        poll_interval_ms=POLL_MS,
    )
    assert run.status == "completed"
    answer = client.beta.threads.messages.list(thread_id=run.thread_id).data[0]
    assert set(json.loads(answer.content[0].text.value)) == {"answer", "confidence"}

    emu.set_speed(0)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Count to a million"}])
    slow = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    assert client.beta.threads.runs.cancel(slow.id, thread_id=thread.id).status == "cancelling"
    emu.advance(1)
    assert client.beta.threads.runs.retrieve(slow.id, thread_id=thread.id).status == "cancelled"


def test_the_sdk_sees_failures_and_lists_assistants_page_by_page(client, emu):
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    emu.fail_run(code="server_error", message="The engine stalled.")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=POLL_MS
    )
    assert run.status == "failed" and run.last_error is not None
    assert (run.last_error.code, run.last_error.message) == ("server_error", "The engine stalled.")

    limited = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id,
        assistant_id=assistant.id,
        additional_messages=[{"role": "user", "content": "tell me everything " * 80}],
        max_prompt_tokens=256,
        poll_interval_ms=POLL_MS,
    )
    assert limited.status == "incomplete" and limited.incomplete_details.reason == "max_prompt_tokens"

    made = [client.beta.assistants.create(model="gpt-4o-mini", name=f"n{n}").id for n in range(4)]
    listed = [item.id for item in client.beta.assistants.list(limit=2)]  # the SDK follows the cursor
    assert listed == [*reversed(made), assistant.id]
    assert client.beta.assistants.update(made[0], name="renamed").name == "renamed"
    assert client.beta.assistants.retrieve(made[0]).name == "renamed"
    assert client.beta.assistants.delete(made[0]).deleted is True
    with pytest.raises(openai.NotFoundError):
        client.beta.assistants.retrieve(made[0])
    with pytest.raises(openai.BadRequestError):
        client.beta.assistants.create(model="no-such-model")
