"""The hook's Assistants API calls against the emulator: assistants, threads, messages, runs and their
steps, each answer read into its model; the beta header every one of them needs; and creates whose
answer is lost after the service acted, made once. The emulator's clock moves only when a test
advances it."""

from __future__ import annotations

import json

import httpx
import pytest

from airflow_openai.client import AnswerLostError
from airflow_openai.client.calls import ApiCall
from airflow_openai.client.endpoints import files, runs
from airflow_openai.client.exchange import build_request
from airflow_openai.emulator.assistants.run_lifecycle import QUEUED_SECONDS, TURN_SECONDS
from airflow_openai.models import AssistantObject, MessageObject, RunObject, RunStepObject, ThreadObject
from tests.support.clients import hook_for

DONE = QUEUED_SECONDS + TURN_SECONDS
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
    },
}
STEP_CONTENT = "step_details.tool_calls[*].file_search.results[*].content"
LOSSES = {"dropped": {"drop": True, "status": None}, "5xx": {"status": 502}}
"""How the answer is lost once the service has acted."""


@pytest.fixture
def hook(emu):
    """A hook on the emulator with short retry pauses; the emulator's clock stands still."""
    emu.set_speed(0)
    with hook_for(emu.base_url, api_key=emu.api_key, timeout=5.0) as hook:
        yield hook


def _waiting(emu, hook, text="Weather in Oslo?"):
    """A run that has called get_weather and waits for its output."""
    assistant = hook.create_assistant("gpt-4o-mini", tools=[WEATHER])
    thread = hook.create_thread([{"role": "user", "content": text}])
    run = hook.create_run(thread.id, assistant.id)
    emu.advance(DONE)
    run = hook.get_run(thread.id, run.id)
    assert run.status == "requires_action", run
    return run


# -- assistants --------------------------------------------------------------------------------------


def test_an_assistant_with_a_function_tool_is_created_read_updated_and_deleted(hook):
    made = hook.create_assistant(
        "gpt-4o-mini",
        name="Forecaster",
        instructions="Use the tool.",
        tools=[WEATHER],
        metadata={"team": "ops"},
        temperature=0.3,
    )
    assert isinstance(made, AssistantObject) and made.id.startswith("asst_")
    assert (made.name, made.model, made.instructions, made.temperature) == (
        "Forecaster",
        "gpt-4o-mini",
        "Use the tool.",
        0.3,
    )
    assert made.tools == [WEATHER] and made.metadata == {"team": "ops"}
    assert hook.get_assistant(made.id) == made

    changed = hook.update_assistant(made.id, name="Forecaster 2", tools=[])
    assert changed.name == "Forecaster 2" and changed.tools == [] and changed.instructions == "Use the tool."

    deleted = hook.delete_assistant(made.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (made.id, "assistant.deleted", True)
    assert [a.id for a in hook.list_assistants()] == []


def test_assistants_are_listed_through_every_page(emu, hook):
    ids = [hook.create_assistant("gpt-4o-mini", name=f"a{n}").id for n in range(5)]
    before = emu.requests("/v1/assistants", method="GET")

    assert [a.id for a in hook.list_assistants(limit=2)] == ids[::-1]
    assert emu.requests("/v1/assistants", method="GET") - before == 3
    assert [a.id for a in hook.list_assistants(order="asc", limit=2)] == ids
    assert [a.id for a in hook.list_assistants(order="asc", after=ids[1])] == ids[2:]
    assert [a.id for a in hook.list_assistants(order="asc", before=ids[2])] == ids[:2]


# -- threads and messages ---------------------------------------------------------------------------------


def test_a_thread_with_messages_is_created_read_updated_and_deleted(hook):
    thread = hook.create_thread(
        [
            {"role": "user", "content": "Hello", "metadata": {"n": "1"}},
            {"role": "assistant", "content": [{"type": "text", "text": "Hi."}]},
        ],
        metadata={"user": "ada"},
    )
    assert isinstance(thread, ThreadObject) and thread.id.startswith("thread_")
    assert thread.metadata == {"user": "ada"} and hook.get_thread(thread.id) == thread
    first, second = hook.list_messages(thread.id, order="asc")
    assert isinstance(first, MessageObject)
    assert (first.role, first.text, first.metadata) == ("user", "Hello", {"n": "1"})
    assert (second.role, second.text, second.thread_id) == ("assistant", "Hi.", thread.id)

    assert hook.update_thread(thread.id, metadata={"user": "grace"}).metadata == {"user": "grace"}
    gone = hook.delete_thread(thread.id)
    assert (gone.object, gone.deleted) == ("thread.deleted", True)


def test_messages_are_added_read_updated_paged_and_deleted(emu, hook):
    thread = hook.create_thread()
    ids = [hook.create_message(thread.id, "user", f"m{n}").id for n in range(5)]
    parts = hook.create_message(
        thread.id, "user", [{"type": "text", "text": "look"}], metadata={"kind": "parts"}
    )
    assert parts.text == "look" and parts.metadata == {"kind": "parts"}
    before = emu.requests(f"/v1/threads/{thread.id}/messages", method="GET")

    newest_first = [m.id for m in hook.list_messages(thread.id, limit=2)]
    assert newest_first == [parts.id, *ids[::-1]]
    assert emu.requests(f"/v1/threads/{thread.id}/messages", method="GET") - before == 3
    assert [m.id for m in hook.list_messages(thread.id, order="asc", before=ids[3])] == ids[:3]

    one = hook.get_message(thread.id, ids[2])
    assert one.text == "m2" and one.status == "completed" and one.run_id is None
    assert hook.update_message(thread.id, ids[2], {"seen": "yes"}).metadata == {"seen": "yes"}
    deleted = hook.delete_message(thread.id, ids[2])
    assert (deleted.id, deleted.object, deleted.deleted) == (ids[2], "thread.message.deleted", True)
    assert ids[2] not in [m.id for m in hook.list_messages(thread.id)]


# -- runs and steps ---------------------------------------------------------------------------------------


def test_a_run_calls_its_tool_takes_the_output_and_answers_with_it(emu, hook):
    run = _waiting(emu, hook)
    (call,) = run.tool_calls
    assert call.function.name == "get_weather" and call.id.startswith("call_")
    assert json.loads(call.function.arguments)["city"] == "Weather in Oslo?"
    (step,) = hook.list_run_steps(run.thread_id, run.id)
    assert isinstance(step, RunStepObject) and (step.type, step.status) == ("tool_calls", "in_progress")

    resumed = hook.submit_tool_outputs(run.thread_id, run.id, [{"tool_call_id": call.id, "output": "Sunny"}])
    assert isinstance(resumed, RunObject) and resumed.status == "queued" and resumed.tool_calls == []
    emu.advance(DONE)

    done = hook.get_run(run.thread_id, run.id)
    assert done.status == "completed" and done.usage is not None and done.usage.total_tokens > 0
    (reply,) = hook.list_messages(run.thread_id, run_id=run.id)
    assert reply.role == "assistant" and "get_weather returned: Sunny" in reply.text
    message_step, tool_step = hook.list_run_steps(run.thread_id, run.id, include=[STEP_CONTENT])
    assert message_step.type == "message_creation" and tool_step.id == step.id
    assert tool_step.step_details["tool_calls"][0]["function"]["output"] == "Sunny"
    assert hook.get_run_step(run.thread_id, run.id, step.id, include=[STEP_CONTENT]) == tool_step
    assert emu.requests(f"/v1/threads/{run.thread_id}/runs/{run.id}/steps*", method="GET") == 3


def test_runs_are_listed_updated_and_cancelled(emu, hook):
    assistant = hook.create_assistant("gpt-4o-mini")
    thread = hook.create_thread([{"role": "user", "content": "hi"}])
    made = []
    for _ in range(3):
        made.append(hook.create_run(thread.id, assistant.id, metadata={"n": str(len(made))}).id)
        emu.advance(DONE)
    assert [r.id for r in hook.list_runs(thread.id, limit=2)] == made[::-1]
    assert [r.id for r in hook.list_runs(thread.id, order="asc")] == made

    updated = hook.update_run(thread.id, made[0], {"reviewed": "yes"})
    assert updated.metadata == {"reviewed": "yes"} and updated.status == "completed"

    running = hook.create_run(thread.id, assistant.id)
    assert hook.cancel_run(thread.id, running.id).status == "cancelling"
    emu.advance(DONE)
    cancelled = hook.get_run(thread.id, running.id)
    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None


def test_a_thread_and_its_run_are_made_in_one_call(emu, hook):
    assistant = hook.create_assistant("gpt-4o-mini", instructions="Help.")
    run = hook.create_thread_and_run(
        assistant.id,
        {"messages": [{"role": "user", "content": "Tell me a joke"}], "metadata": {"k": "v"}},
        metadata={"run": "1"},
        max_completion_tokens=500,
    )
    assert run.status == "queued" and run.metadata == {"run": "1"} and run.max_completion_tokens == 500
    assert hook.get_thread(run.thread_id).metadata == {"k": "v"}
    emu.advance(DONE)
    assert hook.get_run(run.thread_id, run.id).status == "completed"
    assert [m.role for m in hook.list_messages(run.thread_id, order="asc")] == ["user", "assistant"]


def test_run_steps_page_and_refuse_an_unknown_include(emu, hook):
    assistant = hook.create_assistant("gpt-4o-mini", tools=[WEATHER])
    thread = hook.create_thread([{"role": "user", "content": "weather"}])
    run = hook.create_run(thread.id, assistant.id, include=[STEP_CONTENT])
    emu.advance(DONE)
    (call,) = hook.get_run(thread.id, run.id).tool_calls
    hook.submit_tool_outputs(thread.id, run.id, [{"tool_call_id": call.id, "output": "rain"}])
    emu.advance(DONE)

    assert [s.type for s in hook.list_run_steps(thread.id, run.id, limit=1, order="asc")] == [
        "tool_calls",
        "message_creation",
    ]
    from airflow_openai.client import BadRequestError

    with pytest.raises(BadRequestError, match=r"include\[\]"):
        list(hook.list_run_steps(thread.id, run.id, include=["everything"]))


# -- the beta header ---------------------------------------------------------------------------------------


def test_every_assistants_call_carries_the_beta_header_and_no_other_call_does(emu, hook):
    """The emulator refuses an Assistants API request without it, as the service does: every call
    above went through. Here the requests themselves are read, for each kind of path."""
    with httpx.Client(base_url=emu.base_url + "/") as client:

        def header(call: ApiCall) -> str | None:
            return build_request(client, hook.settings, call).headers.get("OpenAI-Beta")

        for call in (
            runs.list_assistants(),
            runs.get_assistant("asst_1"),
            runs.create_thread(),
            runs.get_thread("thread_1"),
            runs.create_message("thread_1", "user", "x"),
            runs.create_thread_and_run("asst_1"),
            runs.create_run("thread_1", "asst_1"),
            runs.list_run_steps("thread_1", "run_1"),
        ):
            assert header(call) == "assistants=v2", call.describe
        assert header(files.list_files()) is None
        assert header(files.get_file("threads")) is None
    bare = httpx.get(f"{emu.base_url}/assistants", headers={"Authorization": f"Bearer {emu.api_key}"})
    assert bare.status_code == 400 and bare.json()["error"]["code"] == "invalid_beta"


# -- answers lost after the service acted -------------------------------------------------------------------


@pytest.mark.parametrize("loss", LOSSES)
def test_a_run_whose_answer_was_lost_is_found_not_started_twice(emu, hook, loss):
    assistant = hook.create_assistant("gpt-4o-mini")
    thread = hook.create_thread([{"role": "user", "content": "hi"}])
    emu.fault("/v1/threads/*/runs", method="POST", after=True, **LOSSES[loss])

    run = hook.create_run(thread.id, assistant.id, metadata={"try": "1"})

    assert [r.id for r in hook.list_runs(thread.id)] == [run.id], "exactly one run"
    assert emu.requests("/v1/threads/*/runs", method="POST") == 1
    assert run.assistant_id == assistant.id and run.metadata == {"try": "1"}


@pytest.mark.parametrize("loss", LOSSES)
def test_a_message_whose_answer_was_lost_is_added_once(emu, hook, loss):
    thread = hook.create_thread([{"role": "user", "content": "first"}])
    emu.fault("/v1/threads/*/messages", method="POST", after=True, **LOSSES[loss])

    message = hook.create_message(thread.id, "user", [{"type": "text", "text": "second"}])

    assert [m.text for m in hook.list_messages(thread.id, order="asc")] == ["first", "second"]
    assert message.text == "second"


def test_the_same_words_said_again_later_are_added_again(emu, hook):
    """Only the thread's newest message is taken for a lost one: words said before are not."""
    thread = hook.create_thread([{"role": "user", "content": "again"}])
    hook.create_run(thread.id, hook.create_assistant("gpt-4o-mini").id)
    emu.advance(DONE)  # the assistant has answered
    emu.fault("/v1/threads/*/messages", method="POST", status=502)  # refused before the service acted

    message = hook.create_message(thread.id, "user", "again")

    said = [(m.role, m.text) for m in hook.list_messages(thread.id, order="asc")]
    assert said == [("user", "again"), ("assistant", "Emulated answer to: again"), ("user", "again")]
    assert message.id == next(hook.list_messages(thread.id, limit=1)).id


@pytest.mark.parametrize("loss", LOSSES)
def test_an_assistant_whose_answer_was_lost_is_made_once(emu, hook, loss):
    emu.fault("/v1/assistants", method="POST", after=True, **LOSSES[loss])

    made = hook.create_assistant("gpt-4o-mini", name="Once", metadata={"k": "v"})

    assert [a.id for a in hook.list_assistants()] == [made.id]


@pytest.mark.parametrize("loss", LOSSES)
def test_tool_outputs_whose_answer_was_lost_are_taken_once(emu, hook, loss):
    run = _waiting(emu, hook)
    (call,) = run.tool_calls
    path = f"/v1/threads/{run.thread_id}/runs/{run.id}/submit_tool_outputs"
    emu.fault(path, method="POST", after=True, **LOSSES[loss])

    resumed = hook.submit_tool_outputs(run.thread_id, run.id, [{"tool_call_id": call.id, "output": "Sunny"}])

    assert resumed.status == "queued" and emu.requests(path, method="POST") == 1
    emu.advance(DONE)
    assert hook.get_run(run.thread_id, run.id).status == "completed"


def test_tool_outputs_refused_before_the_service_acted_are_sent_again(emu, hook):
    """The run still waits on the same calls: the outputs were not taken, so they go again."""
    run = _waiting(emu, hook)
    (call,) = run.tool_calls
    path = f"/v1/threads/{run.thread_id}/runs/{run.id}/submit_tool_outputs"
    emu.fault(path, method="POST", status=502)

    resumed = hook.submit_tool_outputs(run.thread_id, run.id, [{"tool_call_id": call.id, "output": "Sunny"}])

    assert resumed.status == "queued" and emu.requests(path, method="POST") == 2
    emu.advance(DONE)
    (_, tool_step) = hook.list_run_steps(run.thread_id, run.id)
    assert tool_step.step_details["tool_calls"][0]["function"]["output"] == "Sunny"


def test_a_thread_and_run_whose_answer_was_lost_is_reported_not_started_twice(emu, hook):
    assistant = hook.create_assistant("gpt-4o-mini")
    emu.fault("/v1/threads/runs", method="POST", after=True, drop=True, status=None)

    with pytest.raises(AnswerLostError, match="not sent again"):
        hook.create_thread_and_run(assistant.id, {"messages": [{"role": "user", "content": "hi"}]})

    assert emu.requests("/v1/threads/runs", method="POST") == 1


def test_a_thread_whose_answer_was_lost_is_simply_made_again(emu, hook):
    """Threads cannot be listed; a second one costs nothing and the lost one is never run."""
    emu.fault("/v1/threads", method="POST", after=True, drop=True, status=None)

    thread = hook.create_thread([{"role": "user", "content": "hi"}])

    assert emu.requests("/v1/threads", method="POST") == 2
    assert [m.text for m in hook.list_messages(thread.id)] == ["hi"]
