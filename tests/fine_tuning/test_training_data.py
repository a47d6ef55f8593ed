"""Training data checked before upload: every refusal names the file, line, field and reason; flags and
estimates are reported, not refused."""

from __future__ import annotations

import copy
import datetime
import json
import tracemalloc
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from airflow_openai.fine_tuning.examples import base_model, data_format
from airflow_openai.fine_tuning.report import DataReport
from airflow_openai.fine_tuning.tokens import (
    UNKNOWN_MODEL_CONTEXT,
    default_epochs,
    estimate_tokens,
    training_context,
)
from airflow_openai.fine_tuning.training_data import (
    InvalidTrainingData,
    check_training_data,
    records_to_jsonl,
)

MODEL = "gpt-4o-mini"


def chat(n: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You answer sums."},
            {"role": "user", "content": f"What is {n} + {n}?"},
            {"role": "assistant", "content": str(2 * n)},
        ],
        **extra,
    }


def completion(n: int = 0) -> dict[str, Any]:
    return {"prompt": f"{n} + {n} =", "completion": f" {2 * n}"}


def jsonl(*examples: Any) -> list[bytes]:
    return [e if isinstance(e, bytes) else json.dumps(e).encode() + b"\n" for e in examples]


def good(count: int, start: int = 0, make=chat) -> list[bytes]:
    return jsonl(*(make(n) for n in range(start, start + count)))


def with_line_3(bad: Any, make=chat) -> list[bytes]:
    """Twelve good examples with `bad` (an example or raw bytes) as line 3."""
    lines = good(12, make=make)
    lines[2:2] = jsonl(bad)
    return lines


def refusal(lines: list[bytes], model: str = MODEL, **kwargs: Any) -> InvalidTrainingData:
    with pytest.raises(InvalidTrainingData) as caught:
        check_training_data(lines, model=model, **kwargs)
    return caught.value


def msgs(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"messages": list(messages), **extra}


USER = {"role": "user", "content": "Hi"}
ASSISTANT = {"role": "assistant", "content": "Hello"}
CALL = {"id": "call_1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}}
TOOL = {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}


@pytest.mark.parametrize(
    "bad, field, reason",
    [
        # the cookbook's data_type
        (b"[1, 2]\n", "", "must be a JSON object (a training example), not a list"),
        (b'"text"\n', "", "must be a JSON object (a training example), not a string"),
        # unreadable lines, as jsonl.parse_line reports them
        (b"\xff{}\n", "", "not UTF-8 text (byte 0xff at position 1)"),
        (b'{"messages": NaN}\n', "", "NaN is not valid JSON (the API refuses NaN and Infinity)"),
        (b'{"messages": [\n', "", "not valid JSON (Expecting value at column 15)"),
        (
            b'{"messages": [{"role": "user", "content": "\\ud800"}]}\n',
            "",
            "holds a lone surrogate (U+D800), which is not UTF-8 text",
        ),
        # missing_messages_list
        ({}, "messages", "is required: a list of chat messages"),
        (
            completion(),
            "messages",
            "is required: a list of chat messages; prompt/completion examples are only for babbage-002 and davinci-002",
        ),
        ({"messages": "hi"}, "messages", "must be a list of messages, not a string"),
        ({"messages": []}, "messages", "must hold at least one message"),
        (
            chat(temperature=1),
            "temperature",
            "is not a field of a chat training example (known: messages, tools, functions, parallel_tool_calls)",
        ),
        (msgs(USER, "Hello"), "messages[1]", "must be an object (a message), not a string"),
        # message_missing_key and unrecognized_role
        (msgs({"content": "Hi"}, ASSISTANT), "messages[0].role", "is required"),
        (
            msgs({"role": "bot", "content": "Hi"}, ASSISTANT),
            "messages[0].role",
            'must be one of system, user, assistant, tool, function (got "bot")',
        ),
        # message_unrecognized_key
        (
            msgs({**USER, "mood": "happy"}, ASSISTANT),
            "messages[0].mood",
            "is not a field of a user message (known: role, content, name)",
        ),
        (
            msgs({**USER, "odd key": 1}, ASSISTANT),
            'messages[0]["odd key"]',
            "is not a field of a user message (known: role, content, name)",
        ),
        (
            {**chat(), "messages": [{**USER, "weight": 1}, ASSISTANT]},
            "messages[0].weight",
            "is only allowed on assistant messages",
        ),
        # weight: 0 or 1, integers only
        (msgs(USER, {**ASSISTANT, "weight": 2}), "messages[1].weight", "must be 0 or 1 (got 2)"),
        (msgs(USER, {**ASSISTANT, "weight": True}), "messages[1].weight", "must be 0 or 1 (got true)"),
        (msgs(USER, {**ASSISTANT, "weight": 0.5}), "messages[1].weight", "must be 0 or 1 (got 0.5)"),
        (msgs(USER, {**ASSISTANT, "weight": "1"}), "messages[1].weight", 'must be 0 or 1 (got "1")'),
        # missing_content
        (msgs({"role": "user"}, ASSISTANT), "messages[0].content", "is required"),
        (msgs({"role": "user", "content": None}, ASSISTANT), "messages[0].content", "is required (got null)"),
        (msgs({"role": "user", "content": ""}, ASSISTANT), "messages[0].content", "must not be empty"),
        (
            msgs({"role": "user", "content": 3}, ASSISTANT),
            "messages[0].content",
            "must be a string or a list of content parts, not a number",
        ),
        (
            msgs({"role": "user", "content": []}, ASSISTANT),
            "messages[0].content",
            "must hold at least one content part",
        ),
        (
            msgs(USER, {"role": "assistant"}),
            "messages[1].content",
            "is required unless the message has tool_calls or function_call",
        ),
        (msgs(USER, {"role": "assistant", "content": ""}), "messages[1].content", "must not be empty"),
        # example_missing_assistant_message
        (
            msgs(USER),
            "messages",
            "needs at least one assistant message: it is what the model learns to write",
        ),
        # names
        (msgs({**USER, "name": 7}, ASSISTANT), "messages[0].name", "must be a string, not a number"),
        (msgs({**USER, "name": ""}, ASSISTANT), "messages[0].name", "must not be empty"),
        # content parts, per role
        (
            msgs(
                {"role": "system", "content": [{"type": "image_url", "image_url": {"url": "u"}}]},
                USER,
                ASSISTANT,
            ),
            "messages[0].content[0].type",
            "must be 'text' in a system message (got \"image_url\")",
        ),
        (
            msgs({"role": "user", "content": [{"type": "text"}]}, ASSISTANT),
            "messages[0].content[0].text",
            "is required",
        ),
        (
            msgs({"role": "user", "content": [{"type": "text", "text": "a", "lang": "en"}]}, ASSISTANT),
            "messages[0].content[0].lang",
            "is not a field of a text part (known: type, text)",
        ),
        (
            msgs({"role": "user", "content": ["Hi"]}, ASSISTANT),
            "messages[0].content[0]",
            "must be an object (a content part), not a string",
        ),
        (
            msgs({"role": "user", "content": [{"type": "image_url", "image_url": {}}]}, ASSISTANT),
            "messages[0].content[0].image_url.url",
            "is required",
        ),
        (
            msgs(
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "u", "detail": "max"}}],
                },
                ASSISTANT,
            ),
            "messages[0].content[0].image_url.detail",
            'must be one of auto, low, high (got "max")',
        ),
        (
            msgs(
                USER,
                {
                    "role": "assistant",
                    "content": [{"type": "refusal", "refusal": "No"}, {"type": "text", "text": "a"}],
                },
            ),
            "messages[1].content",
            "may hold text parts or exactly one refusal part, not both",
        ),
        # tools and function calls
        (
            msgs(USER, {"role": "assistant", "tool_calls": [{**CALL, "type": "code"}]}),
            "messages[1].tool_calls[0].type",
            "must be 'function' (got \"code\")",
        ),
        (
            msgs(
                USER,
                {
                    "role": "assistant",
                    "tool_calls": [{**CALL, "function": {"name": "add", "arguments": {"a": 1}}}],
                },
            ),
            "messages[1].tool_calls[0].function.arguments",
            "must be a string, not an object",
        ),
        (
            msgs(USER, {"role": "assistant", "tool_calls": []}),
            "messages[1].tool_calls",
            "must hold at least one tool call",
        ),
        (
            msgs(USER, {"role": "assistant", "function_call": {"name": "add"}}),
            "messages[1].function_call.arguments",
            "is required",
        ),
        (
            msgs(
                USER, {"role": "assistant", "tool_calls": [CALL]}, {"role": "tool", "content": "2"}, ASSISTANT
            ),
            "messages[2].tool_call_id",
            "is required on a tool message",
        ),
        (
            msgs(USER, {"role": "function", "content": "2"}, ASSISTANT),
            "messages[1].name",
            "is required on a function message",
        ),
        (
            msgs(USER, ASSISTANT, tools=[{"type": "function", "function": {"name": "add two"}}]),
            "tools[0].function.name",
            'must be 1 to 64 letters, digits, underscores or dashes (got "add two")',
        ),
        (
            msgs(USER, ASSISTANT, tools=[{"function": TOOL["function"]}]),
            "tools[0].type",
            "must be 'function' (got null)",
        ),
        (msgs(USER, ASSISTANT, tools={"add": TOOL}), "tools", "must be a list of tools, not an object"),
        (msgs(USER, ASSISTANT, functions=[]), "functions", "must hold 1 to 128 functions (got 0)"),
        (
            msgs(USER, ASSISTANT, functions=[{"name": "add", "parameters": "x"}]),
            "functions[0].parameters",
            "must be a JSON Schema object, not a string",
        ),
        (
            msgs(USER, ASSISTANT, parallel_tool_calls="yes"),
            "parallel_tool_calls",
            "must be true or false, not a string",
        ),
    ],
)
def test_each_refusal_names_the_line_the_field_and_the_reason(bad, field, reason):
    refused = refusal(with_line_3(bad), training_label="train.jsonl")

    assert (refused.label, refused.line, refused.field, refused.reason) == ("train.jsonl", 3, field, reason)
    where = f"train.jsonl line 3, {field}" if field else "train.jsonl line 3"
    assert str(refused) == f"{where}: {reason}"
    assert refused.bad_lines == 1


@pytest.mark.parametrize(
    "example",
    [
        chat(),
        msgs(USER, {**ASSISTANT, "weight": 0}, USER, {**ASSISTANT, "weight": 1, "name": "bot"}),
        msgs(
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}},
                ],
            },
            {"role": "assistant", "content": [{"type": "text", "text": "A cat."}]},
        ),
        msgs(USER, {"role": "assistant", "content": [{"type": "refusal", "refusal": "I cannot."}]}),
        msgs(
            USER,
            {"role": "assistant", "content": None, "tool_calls": [CALL]},
            {"role": "tool", "tool_call_id": "call_1", "content": "2"},
            ASSISTANT,
            tools=[TOOL],
            parallel_tool_calls=False,
        ),
        msgs(
            USER,
            {"role": "assistant", "function_call": {"name": "add", "arguments": "{}"}},
            {"role": "function", "name": "add", "content": "2"},
            ASSISTANT,
            functions=[{"name": "add", "description": "Adds.", "parameters": {"type": "object"}}],
        ),
        msgs(USER, {"role": "assistant", "content": "", "tool_calls": [CALL], "refusal": None}),
    ],
)
def test_examples_the_spec_allows_are_accepted(example):
    report = check_training_data(with_line_3(example), model=MODEL)

    assert report.examples == 13


def test_one_error_lists_the_first_five_bad_lines_of_both_files_and_counts_them_all():
    training = good(12)
    training[4] = b"[]\n"
    training[6:6] = jsonl(*[msgs(USER)] * 5)
    validation = jsonl(msgs({"role": "bot"}), chat(50))

    refused = refusal(training, validation=validation)

    assert refused.bad_lines == 7
    assert [(p.label, p.line) for p in refused.problems] == [("training data", n) for n in (5, 7, 8, 9, 10)]
    assert str(refused).splitlines() == [
        "7 lines are not valid training examples, the first 5 shown:",
        "  training data line 5: must be a JSON object (a training example), not a list",
        *[
            f"  training data line {n}, messages: needs at least one assistant message: it is what the model learns to write"
            for n in (7, 8, 9, 10)
        ],
    ]


def test_a_bad_validation_line_names_the_validation_file():
    refused = refusal(good(12), validation=jsonl(chat(50), msgs(USER)), validation_label="val.jsonl")

    assert str(refused) == (
        "val.jsonl line 2, messages: needs at least one assistant message: it is what the model learns to write"
    )


def test_fewer_than_ten_examples_are_refused_saying_how_many_there_are():
    assert str(refusal(good(9))) == "training data: 9 examples; a fine-tuning job needs at least 10"
    assert str(refusal([b"\n", *good(1), b"  \n"])) == (
        "training data: 1 example (2 blank lines skipped); a fine-tuning job needs at least 10"
    )
    assert str(refusal([])) == "training data: no examples; a fine-tuning job needs at least 10"
    assert check_training_data(good(10), model=MODEL).examples == 10


def test_validation_data_given_but_empty_is_refused():
    assert str(refusal(good(10), validation=[b"\n"])) == (
        "validation data: no examples; leave validation out or give it some"
    )


def test_blank_lines_are_skipped_as_the_batch_checks_skip_them_and_still_count_as_lines():
    lines = good(10)
    lines[1:1] = [b"\n", b"   \r\n"]
    report = check_training_data(lines, model=MODEL)
    assert (report.examples, report.blank_lines) == (10, 2)
    assert "2 blank lines skipped" in report.warnings

    lines[5] = b"{}\n"
    assert refusal(lines).line == 6


def test_a_whole_file_given_as_one_bytes_object_is_refused():
    with pytest.raises(TypeError, match="must be an iterable of JSONL lines"):
        check_training_data(b"".join(good(10)), model=MODEL)


@pytest.mark.parametrize(
    "model, fmt",
    [
        ("babbage-002", "completion"),
        ("davinci-002", "completion"),
        ("ft:davinci-002:my-org:sums:abc123", "completion"),
        ("gpt-4o-mini-2024-07-18", "chat"),
        ("ft:gpt-4o-mini-2024-07-18:my-org::abc123", "chat"),
        ("some-new-model", "chat"),
    ],
)
def test_the_format_follows_the_model(model, fmt):
    assert data_format(model) == fmt


def test_base_model_of_a_fine_tuned_model():
    assert base_model("ft:gpt-4o-mini-2024-07-18:my-org:sums:abc123") == "gpt-4o-mini-2024-07-18"
    assert base_model("gpt-4o") == "gpt-4o"


def test_completion_models_take_prompt_and_completion_strings_only():
    report = check_training_data(good(12, make=completion), model="babbage-002")
    assert (report.format, report.examples, report.context_limit) == ("completion", 12, 16_384)

    cases = [
        (
            {**completion(), "weight": 1},
            "weight",
            "is not a field of a completion training example (known: prompt, completion)",
        ),
        ({"prompt": "a"}, "completion", "is required"),
        ({"prompt": 1, "completion": "b"}, "prompt", "must be a string, not a number"),
        (
            {"prompt": "a", "completion": ""},
            "completion",
            "must not be empty: it is what the model learns to write",
        ),
        (
            chat(),
            "messages",
            "babbage-002 and davinci-002 are trained on prompt/completion examples, not chat messages",
        ),
    ]
    for bad, field, reason in cases:
        refused = refusal(with_line_3(bad, make=completion), model="davinci-002")
        assert (refused.line, refused.field, refused.reason) == (3, field, reason)


@pytest.mark.parametrize(
    "model, limit",
    [
        ("gpt-4o-mini", 65_536),
        ("gpt-4o-mini-2024-07-18", 65_536),
        ("gpt-4o-2024-08-06", 65_536),
        ("gpt-4.1-nano-2025-04-14", 65_536),
        ("ft:gpt-4.1-2025-04-14:org::abc", 65_536),
        ("gpt-3.5-turbo-0125", 16_385),
        ("babbage-002", 16_384),
        ("ft:davinci-002:org::abc", 16_384),
        ("gpt-4", UNKNOWN_MODEL_CONTEXT),
        ("my-model", 16_385),
    ],
)
def test_the_context_limit_comes_from_the_models_family(model, limit):
    assert training_context(model) == limit


def test_the_token_estimate_is_four_bytes_a_token_plus_the_cookbooks_overheads():
    example = msgs(
        {"role": "user", "content": "abcd" * 3, "name": "bob"},
        {"role": "assistant", "content": "ab", "weight": 1},
    )
    # reply priming 3; user: 3 + "user" 1 + content 3 + "bob" 1 + name 1; assistant: 3 + "assistant" 3 + "ab" 1
    assert estimate_tokens(example, "chat") == 3 + (3 + 1 + 3 + 1 + 1) + (3 + 3 + 1)
    assert estimate_tokens(msgs({"role": "user", "content": "é" * 4}), "chat") == 3 + 3 + 1 + 2
    assert estimate_tokens({"prompt": "abcde", "completion": "x"}, "completion") == 2 + 1
    with_tools = msgs(USER, ASSISTANT, tools=[TOOL])
    assert estimate_tokens(with_tools, "chat") > estimate_tokens(msgs(USER, ASSISTANT), "chat")


def test_examples_over_the_context_limit_are_flagged_and_billed_only_up_to_it():
    lines = good(12)
    long = chat(99)
    long["messages"][1]["content"] = "x" * (16_385 * 4)
    lines[4] = jsonl(long)[0]

    report = check_training_data(lines, model="gpt-3.5-turbo")

    assert (report.over_context.count, report.over_context.lines, report.context_limit) == (1, [5], 16_385)
    assert report.max_tokens > 16_385
    assert report.billed_tokens_per_epoch == report.estimated_tokens - report.max_tokens + 16_385
    assert report.warnings == [
        "1 training example is over the 16,385-token limit of gpt-3.5-turbo by the estimate, "
        "and would be truncated to it: line 5"
    ]
    assert check_training_data(lines, model="gpt-4o-mini").over_context.count == 0


def test_duplicates_are_flagged_whatever_their_key_order_or_spacing():
    lines = good(12)
    reordered = {"messages": [dict(reversed(list(m.items()))) for m in chat(2)["messages"]]}
    lines.append(json.dumps(reordered, indent=None, separators=(" ,", " : ")).encode() + b"\n")
    lines.append(lines[7])

    report = check_training_data(lines, model=MODEL)

    assert (report.duplicates.count, report.duplicates.lines) == (2, [[3, 13], [8, 14]])
    assert report.warnings == [
        "2 training examples repeat an earlier one: line 13 = line 3, line 14 = line 8"
    ]


def test_examples_in_both_training_and_validation_are_flagged_with_both_line_numbers():
    report = check_training_data(
        good(12), model=MODEL, validation=jsonl(chat(50), chat(4), chat(51), chat(0))
    )

    assert report.validation_examples == 4
    assert (report.overlap.count, report.overlap.lines) == (2, [[5, 2], [1, 4]])
    assert report.warnings == [
        "2 validation examples are also in the training data, so validation loss says less about unseen "
        "data: validation line 2 = training line 5, validation line 4 = training line 1"
    ]


def test_examples_without_a_user_message_or_anything_to_learn_are_flagged():
    lines = good(12)
    lines.append(jsonl(msgs({"role": "system", "content": "s"}, ASSISTANT))[0])
    lines.append(jsonl(msgs(USER, {**ASSISTANT, "weight": 0}))[0])

    report = check_training_data(lines, model=MODEL)

    assert (report.without_user_message.count, report.without_user_message.lines) == (1, [13])
    assert (report.nothing_to_learn.count, report.nothing_to_learn.lines) == (1, [14])
    assert report.without_system_message == 1
    assert report.warnings == [
        "1 training example has no user message: line 13",
        "1 training example has every assistant message at weight 0, so nothing in them is trained on: line 14",
    ]


@pytest.mark.parametrize(
    "examples, epochs",
    [(1, 25), (5, 20), (10, 10), (33, 3), (34, 3), (40, 3), (8_333, 3), (8_334, 2), (10_000, 2), (30_000, 1)],
)
def test_the_default_epochs_follow_the_cookbooks_rule(examples, epochs):
    assert default_epochs(examples) == epochs


def test_auto_epochs_come_from_the_example_count_and_multiply_the_billed_tokens():
    report = check_training_data(good(40), model=MODEL)

    assert (report.n_epochs, report.n_epochs_auto) == (3, True)
    assert report.billed_tokens_per_epoch == report.estimated_tokens
    assert report.estimated_billed_tokens == 3 * report.estimated_tokens


def test_a_given_epoch_count_is_used_as_given():
    report = check_training_data(good(40), model=MODEL, n_epochs=7)

    assert (report.n_epochs, report.n_epochs_auto) == (7, False)
    assert report.estimated_billed_tokens == 7 * report.billed_tokens_per_epoch
    # None is "auto", as a hyperparameter left unset
    assert check_training_data(good(40), model=MODEL, n_epochs=None).n_epochs_auto is True


@pytest.mark.parametrize("n_epochs", [0, 51, True, "3", 2.0])
def test_an_epoch_count_the_api_refuses_is_refused(n_epochs):
    with pytest.raises(
        ValueError, match=rf"^n_epochs must be 'auto' or an integer from 1 to 50 \(got {n_epochs!r}\)$"
    ):
        check_training_data(good(10), model=MODEL, n_epochs=n_epochs)


def test_a_50_mb_file_is_read_line_by_line_once():
    filler = "lorem ipsum dolor sit amet " * 92
    produced = []

    def lines():
        for n in range(10_000):
            line = json.dumps(
                msgs({"role": "user", "content": f"{n} {filler}"}, {"role": "assistant", "content": filler})
            )
            produced.append(len(line) + 1)
            yield line.encode() + b"\n"

    tracemalloc.start()
    try:
        report = check_training_data(lines(), model=MODEL)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert sum(produced) > 50_000_000
    assert peak < sum(produced) / 5, f"peak {peak:,} bytes for a {sum(produced):,}-byte file"
    assert (report.examples, report.n_epochs, report.duplicates.count) == (10_000, 2, 0)


def test_the_report_is_small_json_for_an_xcom_and_reads_back():
    lines = good(30) + good(30)
    report = check_training_data(lines, model=MODEL, validation=good(3, start=100))
    data = report.to_dict()

    assert json.loads(json.dumps(data)) == data
    assert (data["duplicates"]["count"], len(data["duplicates"]["lines"])) == (30, 20)
    assert data["duplicates"]["lines"][0] == [1, 31]
    assert data["over_context"] == {"count": 0, "lines": [], "limit": 65_536}
    assert data["tokens_are_estimates"] is True
    assert set(data) == {
        "model", "format", "examples", "validation_examples", "blank_lines", "tokens_are_estimates",
        "estimated_tokens", "min_tokens", "median_tokens", "max_tokens", "context_limit", "over_context",
        "duplicates", "overlap", "without_user_message", "nothing_to_learn", "without_system_message",
        "n_epochs", "n_epochs_auto", "billed_tokens_per_epoch", "estimated_billed_tokens", "warnings",
    }  # fmt: skip
    assert len(json.dumps(data)) < 4_000
    assert DataReport.from_dict(data) == report
    assert (
        "line 31 = line 1, line 32 = line 2, line 33 = line 3, line 34 = line 4, line 35 = line 5 and 25 more"
        in data["warnings"][0]
    )


def test_the_summary_is_a_few_lines_for_the_log():
    report = check_training_data(good(48) + good(1), model=MODEL, validation=good(12, start=100))
    per = estimate_tokens(chat(1), "chat")

    assert report.summary() == (
        f"Training data: 49 examples (chat), ~{report.estimated_tokens:,} tokens (estimate; per example "
        f"~{report.min_tokens} min, ~{report.median_tokens} median, ~{report.max_tokens} max); validation: 12 examples\n"
        f"3 epochs (auto) → ~{3 * report.estimated_tokens:,} billed tokens (estimate)\n"
        "Warning: 1 training example repeats an earlier one: line 49 = line 1"
    )
    assert report.min_tokens <= per <= report.max_tokens


def test_records_from_an_xcom_become_jsonl_lines_checked_the_same_way():
    records = [chat(n) for n in range(10)] + [json.dumps(chat(10), indent=2), json.dumps(chat(11)).encode()]
    lines = list(records_to_jsonl(records))

    assert all(line.endswith(b"\n") and line.count(b"\n") == 1 for line in lines)
    assert json.loads(lines[10]) == chat(10)
    assert check_training_data(records_to_jsonl(records), model=MODEL).examples == 12

    records[3] = msgs(USER)
    assert refusal(list(records_to_jsonl(records))).line == 4


@pytest.mark.parametrize(
    "records, message",
    [
        ([chat(), chat(), 7], "records[2]: must be a dict (one training example), not int"),
        ([chat(), "[1]"], "records[1]: must be a dict (one training example), not list"),
        (
            ["{'messages': []}"],
            "records[0]: not valid JSON (Expecting property name enclosed in double quotes at column 2)",
        ),
        (
            [{"messages": float("nan")}],
            "records[0]: holds NaN or Infinity, which is not valid JSON (the API refuses it)",
        ),
        (
            [{"when": datetime.date(2024, 1, 1)}],
            "records[0]: is not JSON: Object of type date is not JSON serializable",
        ),
        (chat(), "records: must be a list of dicts or JSON strings, not dict"),
        ("{}", "records: must be a list of dicts or JSON strings, not str"),
    ],
)
def test_records_that_are_not_examples_are_refused_by_index(records, message):
    with pytest.raises(InvalidTrainingData) as caught:
        list(records_to_jsonl(records))
    assert str(caught.value) == message


# Generated mutations: whatever is done to a valid example, the checks accept it or refuse it
# naming its line, and never fail in any other way (a KeyError, a TypeError).

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(["\ud800", "", "user", "assistant", "tool", "text", "image_url", "function", "auto"]),
)
junk = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
VALID = [
    (MODEL, chat(7)),
    (MODEL, msgs(USER, {**ASSISTANT, "weight": 1, "name": "bot"})),
    (
        MODEL,
        msgs(
            {
                "role": "user",
                "content": [{"type": "text", "text": "Hi"}, {"type": "image_url", "image_url": {"url": "u"}}],
            },
            {"role": "assistant", "content": None, "tool_calls": [CALL]},
            {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "text", "text": "2"}]},
            {"role": "assistant", "content": [{"type": "refusal", "refusal": "No"}]},
            tools=[TOOL],
            parallel_tool_calls=True,
        ),
    ),
    (
        MODEL,
        msgs(
            USER,
            {"role": "assistant", "function_call": {"name": "f", "arguments": "{}"}},
            functions=[{"name": "f"}],
        ),
    ),
    ("davinci-002", completion(7)),
]


def _places(value: Any, path: tuple = ()) -> list[tuple]:
    places = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            places += _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            places += _places(item, (*path, index))
    return places


def _mutated(data: Any, example: Any) -> Any:
    path = data.draw(st.sampled_from(_places(example)), label="path")
    if not path:
        return data.draw(junk, label="whole example")
    parent = example
    for step in path[:-1]:
        parent = parent[step]
    action = data.draw(st.sampled_from(["replace", "delete", "add"]), label="action")
    if action == "replace":
        parent[path[-1]] = data.draw(junk, label="value")
    elif action == "delete":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[data.draw(st.text(max_size=12), label="key")] = data.draw(junk, label="value")
    else:
        parent.insert(path[-1], data.draw(junk, label="item"))
    return example


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_mutation_of_a_valid_example_is_accepted_or_refused_with_its_line(data):
    model, valid = data.draw(st.sampled_from(VALID), label="valid example")
    example = _mutated(data, copy.deepcopy(valid))
    raw = json.dumps(example).encode()
    if data.draw(st.integers(0, 3), label="mangle the bytes") == 0:
        cut = data.draw(st.integers(0, len(raw)), label="at")
        raw = raw[:cut] + data.draw(st.binary(max_size=3), label="bytes") + raw[cut:]
    make = completion if data_format(model) == "completion" else chat
    lines = good(12, make=make)
    lines[2:2] = [raw.replace(b"\n", b" ") + b"\n"]

    try:
        report = check_training_data(lines, model=model, training_label="t.jsonl")
    except InvalidTrainingData as refused:
        event("refused")
        assert (refused.line, refused.bad_lines) == (3, 1), str(refused)
        assert str(refused).startswith("t.jsonl line 3"), str(refused)
    else:
        event("accepted")
        assert report.examples == 12 + (raw.strip() != b"")
        assert json.loads(json.dumps(report.to_dict())) == report.to_dict()


def test_a_weight_written_as_a_float_is_taken_as_the_cookbook_takes_it():
    """The guide's check is `weight in (0, 1)`, which 1.0 and 0.0 pass."""
    lines = [
        json.dumps(msgs(USER, {**ASSISTANT, "weight": 1.0 if n % 2 else 0.0})).encode() for n in range(10)
    ]
    assert check_training_data(lines, model=MODEL).examples == 10
