"""The official `openai` SDK's chat, completion, embedding and model calls against the emulator, and every
field of a chat or embeddings request that shapes the answer doing so: streaming, forced and chosen tool
calls, structured output by schema and by function, `max_tokens`, `n`, `stop`, `logprobs`, JSON mode's
keys, base64 embeddings, `dimensions`; ids unique in a run and repeatable under a seed."""

from __future__ import annotations

import json

import jsonschema
import pytest
from pydantic import BaseModel

openai = pytest.importorskip("openai", reason="the official openai SDK is in the dev group")

WEATHER = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "minLength": 2},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
        "code": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{2}$"},
    },
    "required": ["city", "unit", "days", "code"],
    "additionalProperties": False,
}
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER, "strict": True}},
    {
        "type": "function",
        "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
    },
]


class Review(BaseModel):
    sentiment: str
    score: float
    tags: list[str]


@pytest.fixture
def client(emu):
    with openai.OpenAI(api_key=emu.api_key, base_url=emu.base_url, max_retries=0) as client:
        yield client


def _ask(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def test_a_streamed_chat_says_what_the_whole_answer_says(client):
    whole = client.chat.completions.create(model="gpt-4o-mini", messages=_ask("Tell me about tides"))
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=_ask("Tell me about tides"),
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert len(chunks) > 3 and all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    said = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert said == whole.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == whole.usage.total_tokens
    assert len({chunk.id for chunk in chunks}) == 1 and chunks[0].id != whole.id


def test_a_forced_function_is_called_with_arguments_its_schema_accepts(client):
    for choice in ({"type": "function", "function": {"name": "get_weather"}}, "required"):
        answer = client.chat.completions.create(
            model="gpt-4o-mini", messages=_ask("Paris, please"), tools=TOOLS, tool_choice=choice
        )
        assert answer.choices[0].finish_reason == "tool_calls" and answer.choices[0].message.content is None
        (call,) = answer.choices[0].message.tool_calls
        assert call.function.name == "get_weather" and call.id.startswith("call_")
        jsonschema.validate(json.loads(call.function.arguments), WEATHER)


def test_auto_calls_what_the_message_names_and_answers_after_the_outputs(client):
    plain = client.chat.completions.create(model="gpt-4o-mini", messages=_ask("Hello"), tools=TOOLS)
    assert plain.choices[0].finish_reason == "stop" and plain.choices[0].message.tool_calls is None
    messages = _ask("Use get_weather and get_time for Oslo")
    called = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
    calls = called.choices[0].message.tool_calls
    assert [call.function.name for call in calls] == ["get_weather", "get_time"]
    single = client.chat.completions.create(
        model="gpt-4o-mini", messages=messages, tools=TOOLS, parallel_tool_calls=False
    )
    assert len(single.choices[0].message.tool_calls) == 1
    messages.append(called.choices[0].message.model_dump(exclude_none=True))
    messages += [{"role": "tool", "tool_call_id": call.id, "content": "sunny"} for call in calls]
    final = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
    assert final.choices[0].finish_reason == "stop" and final.choices[0].message.content
    with pytest.raises(openai.BadRequestError, match="tool_call_ids did not have response messages"):
        client.chat.completions.create(model="gpt-4o-mini", messages=messages[:2] + _ask("and?"), tools=TOOLS)


def test_a_streamed_tool_call_carries_its_arguments_in_pieces(client):
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=_ask("Rome"), tools=TOOLS, tool_choice="required", stream=True
    )
    deltas = [chunk.choices[0].delta for chunk in stream]
    opening = deltas[1].tool_calls[0]
    assert opening.id.startswith("call_") and opening.function.name == "get_weather"
    arguments = "".join(d.tool_calls[0].function.arguments for d in deltas[1:] if d.tool_calls)
    jsonschema.validate(json.loads(arguments), WEATHER)


def test_structured_output_by_schema_and_by_function_parse(client):
    parsed = client.chat.completions.parse(
        model="gpt-4o-mini", messages=_ask("Great phone"), response_format=Review
    )
    assert isinstance(parsed.choices[0].message.parsed, Review)
    by_function = client.chat.completions.parse(
        model="gpt-4o-mini",
        messages=_ask("Great phone"),
        tools=[openai.pydantic_function_tool(Review)],
        tool_choice={"type": "function", "function": {"name": "Review"}},
    )
    assert isinstance(by_function.choices[0].message.tool_calls[0].function.parsed_arguments, Review)


def test_max_tokens_n_stop_and_logprobs_shape_the_answer(client):
    cut = client.chat.completions.create(
        model="gpt-4o-mini", messages=_ask("A long question " * 20), max_tokens=3
    )
    assert cut.choices[0].finish_reason == "length" and len(cut.choices[0].message.content) == 12
    assert cut.usage.completion_tokens == 3
    several = client.chat.completions.create(model="gpt-4o-mini", messages=_ask("Hi"), n=3)
    assert [c.index for c in several.choices] == [0, 1, 2]
    assert len({c.message.content for c in several.choices}) == 3
    stopped = client.chat.completions.create(model="gpt-4o-mini", messages=_ask("Hi"), stop=["answer"])
    assert stopped.choices[0].message.content == "Emulated " and stopped.choices[0].finish_reason == "stop"
    scored = client.chat.completions.create(
        model="gpt-4o-mini", messages=_ask("Hi"), logprobs=True, top_logprobs=3
    )
    tokens = scored.choices[0].logprobs.content
    assert "".join(t.token for t in tokens) == scored.choices[0].message.content
    assert len(tokens) == scored.usage.completion_tokens
    assert all(len(t.top_logprobs) == 3 and t.logprob <= 0 for t in tokens)
    with pytest.raises(openai.BadRequestError, match="top_logprobs"):
        client.chat.completions.create(model="gpt-4o-mini", messages=_ask("Hi"), top_logprobs=3)


def test_json_mode_answers_the_keys_the_prompt_names(client):
    asked = "Reply in JSON with the keys title, summary and score."
    answer = client.chat.completions.create(
        model="gpt-4o-mini", messages=_ask(asked), response_format={"type": "json_object"}
    )
    body = json.loads(answer.choices[0].message.content)
    assert set(body) == {"title", "summary", "score"} and isinstance(body["score"], int)
    example = 'Return JSON like {"name": "x", "age": 3, "tags": ["a"]} for: Ada Lovelace'
    answer = client.chat.completions.create(
        model="gpt-4o-mini", messages=_ask(example), response_format={"type": "json_object"}
    )
    body = json.loads(answer.choices[0].message.content)
    assert (
        set(body) == {"name", "age", "tags"}
        and isinstance(body["age"], int)
        and isinstance(body["tags"], list)
    )


def test_completions_stream_and_stop_at_sixteen_tokens_by_default(client):
    answer = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Once upon a time " * 10)
    assert answer.choices[0].finish_reason == "length" and answer.usage.completion_tokens == 16
    chunks = list(client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Hi", stream=True))
    assert (
        "".join(chunk.choices[0].text for chunk in chunks)
        == client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Hi").choices[0].text
    )


def test_embeddings_as_base64_by_default_and_as_floats(client):
    default = client.embeddings.create(
        model="text-embedding-3-small", input=["a", "b"]
    )  # the SDK asks base64
    floats = client.embeddings.create(
        model="text-embedding-3-small", input=["a", "b"], encoding_format="float"
    )
    assert [len(item.embedding) for item in default.data] == [1536, 1536]
    for left, right in zip(default.data[0].embedding, floats.data[0].embedding, strict=True):
        assert abs(left - right) < 1e-6
    short = client.embeddings.create(model="text-embedding-3-large", input="a", dimensions=8)
    assert len(short.data[0].embedding) == 8
    with pytest.raises(openai.BadRequestError, match="does not support specifying dimensions"):
        client.embeddings.create(model="text-embedding-ada-002", input="a", dimensions=8)
    with pytest.raises(openai.BadRequestError, match="Expected a value <= 1536"):
        client.embeddings.create(model="text-embedding-3-small", input="a", dimensions=2000)


def test_a_dated_snapshot_is_a_model(client):
    assert client.models.retrieve("gpt-4o-mini-2024-07-18").id == "gpt-4o-mini-2024-07-18"
    assert client.chat.completions.create(model="gpt-4o-mini-2024-07-18", messages=_ask("Hi")).choices
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-nope")


def test_ids_are_unique_in_a_run_and_repeatable_under_a_seed(client, emu):
    def run() -> tuple[list[str], list[str]]:
        ids, contents = [], []
        for _ in range(2):
            answer = client.chat.completions.create(model="gpt-4o-mini", messages=_ask("Same"), tools=TOOLS)
            called = client.chat.completions.create(
                model="gpt-4o-mini", messages=_ask("Same"), tools=TOOLS, tool_choice="required"
            )
            ids += [answer.id, called.id, called.choices[0].message.tool_calls[0].id]
            contents += [
                answer.choices[0].message.content,
                called.choices[0].message.tool_calls[0].function.arguments,
            ]
        return ids, contents

    emu.seed(7)
    first_ids, first_contents = run()
    assert len(set(first_ids)) == len(first_ids)
    assert first_contents[:2] == first_contents[2:]
    emu.seed(7)
    assert run() == (first_ids, first_contents)
