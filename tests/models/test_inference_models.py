"""The inference models against the spec: every example answer of the inference paths parses with the
model named as its schema (a streamed example chunk by chunk), each request model names every
field of its schema and requires what it requires, and answers the API grows parse still."""

from __future__ import annotations

import re

import pytest

import airflow_openai.models as models
from tests.support.spec import load_spec, path_examples, read_example, spec_path

PATHS = {
    "/chat/completions": ("CreateChatCompletionResponse", "CreateChatCompletionStreamResponse"),
    "/completions": ("CreateCompletionResponse", "CreateCompletionResponse"),
    "/embeddings": ("CreateEmbeddingResponse", None),
    "/moderations": ("CreateModerationResponse", None),
    "/images/generations": ("ImagesResponse", None),
    "/images/edits": ("ImagesResponse", None),
    "/images/variations": ("ImagesResponse", None),
    "/audio/transcriptions": ("CreateTranscriptionResponseVerboseJson", None),
    "/audio/translations": ("CreateTranslationResponseJson", None),
}
"""Path → (the model of its answer, the model of a streamed answer's chunks)."""

REQUESTS = {
    "CreateChatCompletionRequest": set(),
    "CreateCompletionRequest": set(),
    "CreateEmbeddingRequest": set(),
    "CreateModerationRequest": set(),
    "CreateImageRequest": set(),
    "CreateImageEditRequest": {"image", "mask"},
    "CreateImageVariationRequest": {"image"},
    "CreateSpeechRequest": set(),
    "CreateTranscriptionRequest": {"file"},
    "CreateTranslationRequest": {"file"},
}
"""Request model → the schema's fields that go as files, not as fields of the model."""

needs_spec = pytest.mark.skipif(spec_path() is None, reason="the OpenAI spec is not beside the checkout")


def _objects(text: str) -> list[object]:
    """One example's JSON objects: a streamed example is several, one per paragraph. Lines of dots
    stand for what the example leaves out (`....`, `.... (1536 floats total)`)."""
    lines = [line for line in text.splitlines() if not re.match(r"\s*\.{3,}", line)]
    paragraphs = [part for part in re.split(r"\n\s*\n", "\n".join(lines)) if part.strip()]
    if len(paragraphs) > 1 and all(
        part.lstrip().startswith("{") and part.rstrip().endswith("}") for part in paragraphs
    ):
        return [read_example(part) for part in paragraphs]
    return [read_example("\n".join(lines))]


@needs_spec
@pytest.mark.parametrize("path", list(PATHS))
def test_every_example_answer_parses(path):
    whole, chunk = PATHS[path]
    examples = path_examples(load_spec(), path, "post")
    if not examples:
        pytest.skip(f"POST {path} documents no example answer")
    for text in examples:
        objects = _objects(text)
        for value in objects:
            model = chunk if len(objects) > 1 or "chunk" in str(value.get("object")) else whole
            if path.startswith("/audio/") and set(value) == {"text"}:
                model = model.replace("VerboseJson", "Json")
            getattr(models, model).model_validate(value)


@needs_spec
@pytest.mark.parametrize("name", list(REQUESTS))
def test_each_request_model_names_every_field_of_its_schema(name):
    schema = load_spec()["components"]["schemas"][name]
    model = getattr(models, name)
    fields = {field.alias or key for key, field in model.model_fields.items()}
    required = {field.alias or key for key, field in model.model_fields.items() if field.is_required()}
    files = REQUESTS[name]
    assert fields == set(schema["properties"]) - files
    assert required == set(schema.get("required", [])) - files


def test_answers_keep_what_the_api_adds():
    answer = models.CreateChatCompletionResponse.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "hi", "annotations": []},
                    "finish_reason": "paused",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2, "cost": 0.1},
            "new_field": True,
        }
    )
    assert answer.choices[0].finish_reason == "paused"
    assert answer.choices[0].message.model_extra == {"annotations": []}
    assert answer.to_dict()["new_field"] is True and answer.usage.model_extra == {"cost": 0.1}


def test_a_verbose_duration_reads_as_seconds_whether_number_or_text():
    """The spec (2.3.0) types `duration` as a string; the service sends a number."""
    for duration in (8.47, "8.47"):
        verbose = models.CreateTranscriptionResponseVerboseJson.model_validate(
            {"text": "hi", "language": "english", "duration": duration}
        )
        assert verbose.duration == 8.47


def test_moderation_categories_the_api_adds_are_kept():
    result = models.ModerationResult.model_validate(
        {"flagged": False, "categories": {"hate": False, "illicit": None}, "category_scores": {"hate": 0.1}}
    )
    assert result.categories == {"hate": False, "illicit": None}
