"""Text that is not UTF-8 (a lone surrogate) is refused by the HTTP client, in one place, before any
request: an `UnencodableTextError` naming the field, never a raw `UnicodeEncodeError`, and never
taken for a transient failure. The emulator counts what reached it: nothing."""

from __future__ import annotations

import io

import pytest

from airflow_openai.client import UnencodableTextError
from airflow_openai.client.transient import is_transient

BAD = "ok \ud800 text"
SURROGATE = r"holds a lone surrogate \(U\+D800 at character 4\), which is not UTF-8 text"

CASES = {
    "tool outputs": (
        lambda hook: hook.submit_tool_outputs(
            "thread_1", "run_1", [{"tool_call_id": "call_1", "output": BAD}]
        ),
        "/v1/threads/*/runs/*/submit_tool_outputs",
        r"POST /threads/thread_1/runs/run_1/submit_tool_outputs: tool_outputs\[0\]\.output ",
    ),
    "a message": (
        lambda hook: hook.create_message("thread_1", "user", "fine", metadata={"title": BAD}),
        "/v1/threads/*/messages",
        r"POST /threads/thread_1/messages: metadata\.title ",
    ),
    "a message's content part": (
        lambda hook: hook.create_message("thread_1", "user", [{"type": "text", "text": BAD}]),
        "/v1/threads/*/messages",
        r"content\[0\]\.text ",
    ),
    "a thread's messages": (
        lambda hook: hook.create_thread(
            messages=[{"role": "user", "content": "fine"}, {"role": "user", "content": BAD}]
        ),
        "/v1/threads",
        r"POST /threads: messages\[1\]\.content ",
    ),
    "a vector store's name": (
        lambda hook: hook.create_vector_store(name=BAD),
        "/v1/vector_stores",
        r"POST /vector_stores: name ",
    ),
    "a vector store's metadata": (
        lambda hook: hook.create_vector_store(name="docs", metadata={"title": BAD}),
        "/v1/vector_stores",
        r"POST /vector_stores: metadata\.title ",
    ),
    "a metadata key that is not a name": (
        lambda hook: hook.create_vector_store(name="docs", metadata={"my key": BAD}),
        "/v1/vector_stores",
        r"metadata\['my key'\] ",
    ),
    "fine-tuning metadata": (
        lambda hook: hook.create_fine_tuning_job("gpt-4o-mini", "file-abc", metadata={"run": BAD}),
        "/v1/fine_tuning/jobs",
        r"POST /fine_tuning/jobs: metadata\.run ",
    ),
    "a query parameter": (
        lambda hook: list(hook.list_vector_stores(after=BAD)),
        "/v1/vector_stores",
        r"GET /vector_stores: query parameter 'after' ",
    ),
    "an id in the path": (
        lambda hook: hook.get_vector_store(BAD),
        "/v1/vector_stores/*",
        r"the id 'ok \\ud800 text' in the request path ",
    ),
    "a file name in a multipart form": (
        lambda hook: hook.create_file(io.BytesIO(b'{"a": 1}\n'), "batch", filename=BAD),
        "/v1/files",
        r"POST /files: the file name of form part 'file' ",
    ),
}


@pytest.mark.parametrize("send, path, where", CASES.values(), ids=CASES.keys())
def test_text_that_is_not_utf8_is_refused_before_any_request_naming_the_field(
    emu, emu_hook, send, path, where
):
    with pytest.raises(UnencodableTextError, match=where + SURROGATE) as refused:
        send(emu_hook)

    assert str(refused.value).endswith("; the request was not sent")
    assert not is_transient(refused.value), "a retry would send the same text"
    assert isinstance(refused.value, ValueError) and not isinstance(refused.value, UnicodeError)
    str(refused.value).encode("utf-8")  # the message itself can always be logged
    assert emu.requests(path, method="*") == 0
    assert emu.requests("*", method="*") == 0, "nothing at all reached the API"


def test_a_key_that_is_not_utf8_is_named(emu, emu_hook):
    with pytest.raises(UnencodableTextError, match=r"metadata\['\\udfff'\] is a key that holds a lone"):
        emu_hook.create_vector_store(name="docs", metadata={"\udfff": "value"})

    assert emu.requests("*", method="*") == 0


def test_nan_in_a_body_is_refused_the_same_way(emu, emu_hook):
    with pytest.raises(UnencodableTextError, match=r"metadata\.score is nan, which is not valid JSON"):
        emu_hook.create_vector_store(name="docs", metadata={"score": float("nan")})

    assert emu.requests("*", method="*") == 0


async def test_the_async_transport_refuses_the_same_way(emu, emu_hook):
    with pytest.raises(UnencodableTextError, match=r"the id 'run_\\ud800' in the request path"):
        await emu_hook.aget_run("thread_1", "run_\ud800")

    assert emu.requests("*", method="*") == 0


def test_text_that_is_utf8_goes_through_as_it_was_given(emu, emu_hook):
    """The body is encoded by the client now, not by httpx: non-ASCII text arrives unchanged."""
    title = "Ünïcödé ✓ 😀 \u2028 名前"
    store = emu_hook.create_vector_store(name=title, metadata={"title": title})

    again = emu_hook.get_vector_store(store.id)
    assert again.name == title and again.metadata == {"title": title}


def test_a_good_body_is_encoded_once_and_never_walked(emu, emu_hook, monkeypatch):
    """The check costs one `json.dumps` and one UTF-8 encode of the body (what httpx did anyway):
    the field-by-field walk runs only to name the field of a body that failed."""
    from airflow_openai.client import text

    encoded = []
    real = text.json_body

    def counting(call):
        body = real(call)
        encoded.append(len(body or b""))
        return body

    def never(*args, **kwargs):
        raise AssertionError("a good body must not be walked")

    monkeypatch.setattr(text, "_faults", never)
    monkeypatch.setattr("airflow_openai.client.exchange.json_body", counting)
    big = {f"k{n}": "é" * 500 for n in range(15)}
    emu_hook.create_thread(messages=[{"role": "user", "content": "x" * 200_000}], metadata=big)

    assert len(encoded) == 1 and encoded[0] > 200_000
