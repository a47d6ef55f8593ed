"""What a row may hold: keys and body fields the API description defines, refused by name otherwise;
its own fields under `metadata` (kept in its result row, never sent); parameters the API added
later under `extra_body` (merged into the body unchecked)."""

from __future__ import annotations

import io
import json

import pytest

from airflow_openai.batch.chunks import prepare
from airflow_openai.batch.requests import InvalidBatchInput, checked, from_jsonl, from_prompts, from_requests
from airflow_openai.batch.results import write_joined
from airflow_openai.emulator.inference.params import FIELDS

CHAT = "/v1/chat/completions"
MESSAGES = [{"role": "user", "content": "x"}]
BODIES = {
    "/v1/chat/completions": {"model": "m", "messages": MESSAGES},
    "/v1/completions": {"model": "m", "prompt": "x"},
    "/v1/embeddings": {"model": "m", "input": "x"},
}


def _checked(lines, endpoint=CHAT, extra_body=None):
    return list(checked(lines, endpoint, extra_body))


def test_the_issues_row_is_refused_naming_its_key_before_anything_is_built():
    row = {"prompt": "Is this review positive?", "custom_id": "rev-18", "review_id": 5}

    with pytest.raises(InvalidBatchInput) as refused:
        _checked(from_prompts(["first", row], model="gpt-4o-mini"))

    assert refused.value.line == 2
    assert str(refused.value).startswith("line 2: prompts[1]: unknown key 'review_id': a prompt row holds")
    assert "under 'metadata' (kept in the result row, never sent)" in str(refused.value)
    assert "under 'extra_body' (sent unchecked)" in str(refused.value)


def test_every_unknown_key_of_a_prompt_row_is_named():
    with pytest.raises(InvalidBatchInput, match=r"unknown keys 'review_id', 'team':"):
        _checked(from_prompts([{"prompt": "a", "review_id": 5, "temperature": 0, "team": "x"}], model="m"))


def test_a_prompt_row_cannot_bring_messages_it_would_lose():
    with pytest.raises(InvalidBatchInput, match=r"prompts\[0\]: 'messages' is made from 'prompt'"):
        _checked(from_prompts([{"prompt": "a", "messages": MESSAGES}], model="m"))


@pytest.mark.parametrize("endpoint", list(BODIES))
def test_a_body_field_the_endpoint_does_not_define_is_refused_naming_line_and_field(endpoint):
    lines = [
        {"custom_id": "a", "body": BODIES[endpoint]},
        {"custom_id": "b", "body": {**BODIES[endpoint], "review_id": 5}},
    ]

    with pytest.raises(InvalidBatchInput) as refused:
        _checked(from_requests(lines, endpoint), endpoint)

    assert refused.value.line == 2
    assert str(refused.value).startswith(
        f"line 2: body.review_id: not a parameter of {endpoint} (API 2.3.0), and the service refuses it"
    )


def test_a_body_field_of_a_file_line_is_refused_too():
    raw = [json.dumps({"custom_id": "a", "body": {**BODIES[CHAT], "store": True, "reasoning_effort": "low"}})]

    with pytest.raises(
        InvalidBatchInput, match=r"line 1: body.store, body.reasoning_effort: not parameters of"
    ):
        _checked(from_requests(from_jsonl(raw), CHAT))


def test_a_line_key_that_is_neither_sent_nor_carried_is_refused():
    with pytest.raises(
        InvalidBatchInput, match=r"line 1: unknown request fields \['review_id'\]: a line holds"
    ):
        _checked(from_requests([{"custom_id": "a", "body": BODIES[CHAT], "review_id": 5}], CHAT))


@pytest.mark.parametrize("key", ["metadata", "extra_body"])
def test_a_rows_metadata_and_extra_body_are_objects(key):
    with pytest.raises(
        InvalidBatchInput, match=f"line 1: {key} must be a JSON object \\(a dict\\), not list"
    ):
        _checked(from_prompts([{"prompt": "a", key: ["review", 5]}], model="m"))


def test_metadata_goes_to_the_result_row_and_never_into_the_file_sent(tmp_path):
    rows = [
        {"prompt": "a", "custom_id": "rev-18", "metadata": {"review_id": 5, "team": "eu"}},
        "b",
    ]
    prepared = prepare(_checked(from_prompts(rows, model="m")), tmp_path, CHAT)

    sent = [json.loads(line) for line in prepared.chunks[0].path.read_text().splitlines()]
    assert [set(line) for line in sent] == [{"custom_id", "method", "url", "body"}] * 2
    assert "review_id" not in prepared.chunks[0].path.read_text()

    sink = io.BytesIO()
    results = [
        {"custom_id": "rev-18", "status": "succeeded"},
        {"custom_id": "prompt-1", "status": "succeeded"},
    ]
    write_joined(iter(results), prepared, sink)
    first, second = (json.loads(line) for line in sink.getvalue().decode().splitlines())
    assert first["metadata"] == {"review_id": 5, "team": "eu"} and first["input"] == rows[0]
    assert list(first)[:3] == ["custom_id", "input", "metadata"]
    assert "metadata" not in second and second["input"] == "b"


def test_a_request_line_carries_its_metadata_too(tmp_path):
    lines = [{"custom_id": "c", "body": BODIES[CHAT], "metadata": {"source_row": 7}}]
    prepared = prepare(_checked(from_requests(lines, CHAT)), tmp_path, CHAT)

    sink = io.BytesIO()
    write_joined(iter([{"custom_id": "c", "status": "failed"}]), prepared, sink)
    assert json.loads(sink.getvalue())["metadata"] == {"source_row": 7}
    assert "source_row" not in prepared.chunks[0].path.read_text()


def test_extra_body_is_merged_unchecked_after_the_checks_and_a_rows_own_wins():
    rows = [{"prompt": "a", "extra_body": {"reasoning_effort": "high", "store": True}}, "b"]

    (first, _), (second, _) = _checked(
        from_prompts(rows, model="m"), extra_body={"reasoning_effort": "low", "verbosity": "low"}
    )

    assert first["body"]["reasoning_effort"] == "high" and first["body"]["store"] is True
    assert first["body"]["verbosity"] == "low" and "extra_body" not in first
    assert second["body"]["reasoning_effort"] == "low" and set(second) == {
        "custom_id",
        "method",
        "url",
        "body",
    }


def test_a_request_lines_extra_body_is_merged_into_its_body():
    lines = [{"custom_id": "c", "body": BODIES[CHAT], "extra_body": {"store": True}}]

    ((line, source),) = _checked(from_requests(lines, CHAT))

    assert line["body"] == {**BODIES[CHAT], "store": True} and source == BODIES[CHAT]


def test_the_fields_checked_are_those_the_providers_request_models_name():
    """The provider's request models and the emulator's (checked here) each name every field of the spec
    (`tests/models`, `tests/emulator/test_unrecognized_fields`): they agree without it."""
    import airflow_openai.models as models

    by_endpoint = {
        "/v1/chat/completions": models.CreateChatCompletionRequest,
        "/v1/completions": models.CreateCompletionRequest,
        "/v1/embeddings": models.CreateEmbeddingRequest,
    }
    for endpoint, model in by_endpoint.items():
        assert FIELDS[endpoint] == {field.alias or name for name, field in model.model_fields.items()}
