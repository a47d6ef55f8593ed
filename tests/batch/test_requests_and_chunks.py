"""Input building and checking, before anything is uploaded; splitting within the Batch API limits."""

from __future__ import annotations

import json

import pytest

from airflow_openai.batch import chunks as chunking
from airflow_openai.batch.requests import InvalidBatchInput, checked, from_jsonl, from_prompts, from_requests
from airflow_openai.structured import StructuredOutput

CHAT = "/v1/chat/completions"


def _all(lines, endpoint=CHAT):
    return list(checked(lines, endpoint))


def test_prompts_become_chat_requests_with_stable_ids_and_overrides():
    rows = ["Hi", {"prompt": "Bye", "temperature": 0.5, "custom_id": "mine"}]
    lines = _all(
        from_prompts(rows, model="gpt-4o-mini", system_prompt="Be brief", parameters={"max_tokens": 50})
    )
    (first, source1), (second, source2) = lines
    assert first["custom_id"] == "prompt-0" and second["custom_id"] == "mine"
    assert first["body"]["messages"] == [
        {"role": "system", "content": "Be brief"},
        {"role": "user", "content": "Hi"},
    ]
    assert first["body"]["max_tokens"] == 50 and second["body"]["temperature"] == 0.5
    assert (source1, source2) == ("Hi", rows[1])


def test_plain_bodies_get_ids_and_full_lines_keep_theirs():
    lines = _all(
        from_requests(
            [
                {"model": "m", "messages": [{"role": "user", "content": "x"}]},
                {"custom_id": "c", "body": {"model": "m", "messages": [{"role": "user", "content": "x"}]}},
            ],
            CHAT,
        )
    )
    assert [request["custom_id"] for request, _ in lines] == ["request-0", "c"]


@pytest.mark.parametrize(
    ("items", "line", "reason"),
    [
        (
            [{"custom_id": "a", "body": {"model": "m", "messages": [{"role": "user", "content": "x"}]}}] * 2,
            2,
            "used more than once",
        ),
        (
            [{"custom_id": "a", "body": {"messages": [{"role": "user", "content": "x"}]}}],
            1,
            "body.model is required",
        ),
        (
            [
                {
                    "custom_id": "a",
                    "url": "/v1/embeddings",
                    "body": {"model": "m", "messages": [{"role": "user", "content": "x"}]},
                }
            ],
            1,
            "does not match",
        ),
        (
            [
                {
                    "custom_id": "a",
                    "method": "GET",
                    "body": {"model": "m", "messages": [{"role": "user", "content": "x"}]},
                }
            ],
            1,
            "method must be POST",
        ),
        ([{"custom_id": "a", "body": {"model": "m"}}], 1, "body.messages is required"),
        (
            [{"custom_id": "", "body": {"model": "m", "messages": [{"role": "user", "content": "x"}]}}],
            1,
            "non-empty string",
        ),
    ],
)
def test_bad_lines_are_named_with_their_reason(items, line, reason):
    with pytest.raises(InvalidBatchInput, match=reason) as caught:
        _all(from_requests(items, CHAT))
    assert caught.value.line == line


def test_bad_json_in_a_file_names_the_line():
    raw = [b'{"body": {"model": "m", "messages": [{"role": "user", "content": "x"}]}}\n', b"\n", b"{broken\n"]
    with pytest.raises(InvalidBatchInput, match="line 3: not valid JSON"):
        _all(from_requests(from_jsonl(raw), CHAT))


def test_bytes_that_are_not_utf8_name_the_line_and_the_byte():
    raw = [
        b'{"body": {"model": "m", "messages": [{"role": "user", "content": "x"}]}}\n',
        b'{"body": "caf\xe9"}\n',
    ]
    with pytest.raises(InvalidBatchInput, match=r"line 2: not UTF-8 text \(byte 0xe9 at position 14\)"):
        _all(from_requests(from_jsonl(raw), CHAT))


def test_chunks_split_on_request_count_and_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(chunking, "MAX_REQUESTS_PER_BATCH", 4)
    lines = _all(from_prompts([f"p{n}" for n in range(10)], model="m"))
    prepared = chunking.prepare(lines, tmp_path, CHAT)
    assert [c.requests for c in prepared.chunks] == [4, 4, 2]
    assert len({c.fingerprint for c in prepared.chunks}) == 3
    assert prepared.inputs(["prompt-9", "prompt-0"]) == {"prompt-9": '"p9"', "prompt-0": '"p0"'}
    again = chunking.prepare(
        _all(from_prompts([f"p{n}" for n in range(10)], model="m")), tmp_path / "again", CHAT
    )
    assert [c.fingerprint for c in again.chunks] == [c.fingerprint for c in prepared.chunks], (
        "fingerprints must be stable"
    )

    monkeypatch.setattr(chunking, "MAX_REQUESTS_PER_BATCH", 50_000)
    one_line = len(json.dumps(lines[0][0], separators=(",", ":"))) + 1
    monkeypatch.setattr(chunking, "MAX_BYTES_PER_BATCH", one_line * 3)
    assert [c.requests for c in chunking.prepare(lines, tmp_path / "bytes", CHAT).chunks] == [3, 3, 3, 1]


def test_structured_output_from_a_pydantic_model_is_strict_and_validates_answers():
    from pydantic import BaseModel

    class Verdict(BaseModel):
        label: str
        confidence: float

    structured = StructuredOutput.of(Verdict)
    fmt = structured.response_format()
    assert (
        fmt["type"] == "json_schema"
        and fmt["json_schema"]["strict"] is True
        and fmt["json_schema"]["name"] == "Verdict"
    )
    assert fmt["json_schema"]["schema"]["additionalProperties"] is False
    assert structured.parse('{"label": "ok", "confidence": 0.5}') == {"label": "ok", "confidence": 0.5}
    with pytest.raises(ValueError, match="confidence"):
        structured.parse('{"label": "ok"}')


def test_structured_output_from_a_json_schema():
    structured = StructuredOutput.of(
        {"title": "Tag", "type": "object", "properties": {"tag": {"type": "string"}}}
    )
    assert structured.parse('{"tag": "x"}') == {"tag": "x"}
    with pytest.raises(ValueError, match="not JSON"):
        structured.parse("plain words")
    with pytest.raises(ValueError):
        structured.parse('{"tag": 3}')
