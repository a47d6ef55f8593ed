"""Generated input against the operator's checks and the emulator: a clear refusal or a clean run, never a crash.

Each example is a chat request whose fields are drawn from well-formed and malformed values
alike (wrong types, out-of-range numbers, NaN, lone surrogates, nested junk). The operator's
checks (`checked`, then writing the chunk files) either refuse it with `InvalidBatchInput`
naming its line, or accept it; an accepted request is then sent to the emulator's
`/v1/chat/completions`, which must answer it (200), since both sides read the spec the same
way. Whatever the checks made of it, the emulator never answers a 5xx to the raw body.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from airflow_openai.batch.chunks import prepare
from airflow_openai.batch.identity import batch_metadata
from airflow_openai.batch.requests import (
    InvalidBatchInput,
    check_completion_window,
    checked,
    from_jsonl,
    from_requests,
)

CHAT = "/v1/chat/completions"
MODELS = ("gpt-4o-mini", "gpt-4o")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["\ud800", "two", "", "user", "assistant"]),
)
junk = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)


def mostly(valid: st.SearchStrategy, odds: int = 3) -> st.SearchStrategy:
    """`valid` most of the time, junk otherwise: both sides of every check get exercised."""
    return st.one_of(*([valid] * odds), junk)


message = st.fixed_dictionaries(
    {
        "role": mostly(st.sampled_from(["user", "system", "assistant"])),
        "content": mostly(st.text(max_size=20)),
    }
)
bodies = st.fixed_dictionaries(
    {"model": mostly(st.sampled_from(MODELS)), "messages": mostly(st.lists(message, min_size=1, max_size=3))},
    optional={
        "temperature": mostly(st.floats(min_value=0, max_value=2) | st.floats(min_value=-1, max_value=3)),
        "top_p": mostly(st.floats(min_value=0, max_value=1) | st.floats(min_value=-1, max_value=2)),
        "n": mostly(st.integers(min_value=1, max_value=128) | st.integers(min_value=-2, max_value=200)),
        "max_tokens": mostly(st.integers(min_value=1, max_value=50) | st.integers(min_value=-5, max_value=0)),
        "stop": mostly(st.text(max_size=5)),
        "extra_field_the_api_may_add": junk,
    },
)


def _operator_verdict(body: dict) -> str | None:
    """None when the operator's checks accept the request, else the refusal's message."""
    with tempfile.TemporaryDirectory(prefix="openai-props-") as workdir:
        try:
            prepare(
                checked(from_requests([{"custom_id": "r", "body": body}], CHAT), CHAT), Path(workdir), CHAT
            )
        except InvalidBatchInput as exc:
            return str(exc)
    return None


def _answered(answer: httpx.Response) -> bool:
    """Run, or refused only for its model's name: the operator cannot know which models an
    account may use, so it leaves model names to the API."""
    if answer.status_code == 200:
        return True
    return answer.status_code == 404 and answer.json()["error"]["code"] == "model_not_found"


def _raw(body: dict) -> bytes | None:
    try:
        return json.dumps(body, allow_nan=False).encode()
    except (ValueError, UnicodeEncodeError):
        return None


@pytest.fixture(scope="module")
def chat(openai_emulator):
    with httpx.Client(
        base_url=openai_emulator.base_url + "/",
        headers={"Authorization": f"Bearer {openai_emulator.api_key}", "content-type": "application/json"},
        timeout=30,
    ) as client:
        yield client


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_a_refusal_that_names_the_line_or_an_answer_never_a_crash(chat, body):
    verdict = _operator_verdict(body)
    event("accepted by the operator" if verdict is None else "refused by the operator")
    if verdict is not None:
        assert verdict.startswith("line 1: "), verdict
    raw = _raw(body)
    if raw is None:  # not JSON the API could even receive: the operator must have refused it
        assert verdict is not None, "a body with NaN or a lone surrogate must be refused"
        return
    answer = chat.post(
        "chat/completions", content=raw.decode("utf-8", "surrogatepass").encode("utf-8", "surrogatepass")
    )
    assert answer.status_code < 500, answer.text
    if verdict is None:
        assert _answered(answer), f"the operator accepted what the emulator refuses: {answer.text}"
    else:
        assert answer.status_code in (400, 404), f"the operator refused ({verdict}) what the emulator answers"


def test_the_generator_reaches_both_sides():
    """Not a property: a guard that the strategies produce accepted and refused requests alike."""
    good = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "temperature": 1.5}
    assert _operator_verdict(good) is None
    assert "temperature" in (_operator_verdict({**good, "temperature": math.inf}) or "")


line_values = st.one_of(
    bodies.map(lambda body: {"custom_id": "r", "body": body}),
    bodies,
    junk,
)


def _corrupt(raw: bytes, how: int) -> bytes:
    """A JSONL line as people really get it wrong: Latin-1 bytes, NaN tokens, cut short, or as it is."""
    if how == 1:
        return raw.replace(b"user", b"\xe9user")
    if how == 2:
        return raw.replace(b"1", b"NaN", 1)
    if how == 3:
        return raw[: max(1, len(raw) // 2)]
    return raw


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=line_values, how=st.integers(min_value=0, max_value=3))
def test_a_jsonl_line_is_refused_naming_line_two_or_answered(chat, value, how):
    """The bad line is the second of two: the refusal must name line 2, never line 1 or none."""
    good = json.dumps(
        {
            "custom_id": "first",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        }
    )
    raw = json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")
    lines = [good.encode(), _corrupt(raw, how)]
    with tempfile.TemporaryDirectory(prefix="openai-props-") as workdir:
        try:
            prepared = prepare(checked(from_requests(from_jsonl(lines), CHAT), CHAT), Path(workdir), CHAT)
        except InvalidBatchInput as exc:
            event("refused")
            assert str(exc).startswith("line 2: "), str(exc)
            return
        event("accepted")
        assert prepared.total == 2
    body = value["body"] if isinstance(value, dict) and "body" in value else value
    answer = chat.post("chat/completions", json=body)
    assert _answered(answer), f"accepted by the operator, refused by the emulator: {answer.text}"


metadata_values = st.one_of(
    st.dictionaries(st.text(max_size=70), st.text(max_size=600), max_size=12),
    st.dictionaries(st.text(max_size=5), junk, max_size=3),
    junk,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(metadata=metadata_values, window=st.one_of(st.just("24h"), st.sampled_from(["1h", "", "24H"]), junk))
def test_batch_parameters_are_refused_clearly_or_accepted_by_both_sides(
    chat, batch_input_file, metadata, window
):
    """Metadata and completion windows the operator accepts, with its own tags added, the emulator's
    `POST /v1/batches` accepts too; whatever it is sent, it never answers a 5xx."""
    refusal = None
    try:
        check_completion_window(window)
        full = batch_metadata(metadata, {f"airflow_tag_{n}": "x" for n in range(6)})
    except ValueError as exc:
        refusal = str(exc)
        assert refusal and "\n" not in refusal
    event("refused" if refusal else "accepted")
    body = {"input_file_id": batch_input_file, "endpoint": CHAT, "completion_window": window}
    if refusal is None:
        body["metadata"] = full
    elif metadata is not None:
        body["metadata"] = metadata
    raw = _raw(body)
    if raw is None:
        return
    answer = chat.post("batches", content=raw)
    assert answer.status_code < 500, answer.text
    if refusal is None:
        assert answer.status_code == 200, f"accepted by the operator, refused by the emulator: {answer.text}"


@pytest.fixture(scope="module")
def batch_input_file(openai_emulator):
    content = json.dumps(
        {
            "custom_id": "a",
            "method": "POST",
            "url": CHAT,
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        }
    )
    answer = httpx.post(
        f"{openai_emulator.base_url}/files",
        headers={"Authorization": f"Bearer {openai_emulator.api_key}"},
        files={"file": ("in.jsonl", content.encode() + b"\n")},
        data={"purpose": "batch"},
    )
    return answer.json()["id"]
