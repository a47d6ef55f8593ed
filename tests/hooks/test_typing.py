"""The hook's bound API methods keep their builders' parameters and typed results.

For type checkers (mypy, run on a snippet with `reveal_type`) and at run time (`__name__`,
`__doc__`, `inspect.signature`).
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from pathlib import Path

import pytest

from airflow_openai.client import endpoints
from airflow_openai.client.endpoints import (
    audio,
    batches,
    chat,
    completions,
    embeddings,
    files,
    fine_tuning,
    images,
    models,
    moderations,
    organization,
    runs,
    vector_stores,
)
from airflow_openai.hooks import api_methods
from airflow_openai.hooks.openai import OpenAIHook

ROOT = Path(__file__).resolve().parents[2]
ENDPOINT_MODULES = (
    audio,
    batches,
    chat,
    completions,
    embeddings,
    files,
    fine_tuning,
    images,
    models,
    moderations,
    organization,
    runs,
    vector_stores,
)
MIXINS = tuple(
    value
    for value in vars(api_methods).values()
    if isinstance(value, type) and value.__module__ == api_methods.__name__
)


def _builders() -> dict[str, object]:
    found: dict[str, object] = {}
    for module in ENDPOINT_MODULES:
        for name, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_"):
                assert name not in found, f"two builders named {name}"
                found[name] = value
    return found


BUILDERS = _builders()
BOUND = sorted(name for mixin in MIXINS for name, value in vars(mixin).items() if inspect.isfunction(value))


def _builder_of(name: str) -> object:
    """`get_batch` is bound from `batches.get_batch`, and `aget_batch` too."""
    if name in BUILDERS:
        return BUILDERS[name]
    assert name.startswith("a") and name[1:] in BUILDERS, f"{name} is bound from no builder"
    return BUILDERS[name[1:]]


# -- run time -------------------------------------------------------------------------------------------


def test_every_mixin_method_is_a_bound_builder():
    assert len(BOUND) > 60
    for name in BOUND:
        assert getattr(OpenAIHook, name).__wrapped__ is _builder_of(name)


@pytest.mark.parametrize("name", BOUND)
def test_method_keeps_the_builders_name_doc_and_parameters(name):
    build = _builder_of(name)
    method = getattr(OpenAIHook, name)
    bound = getattr(OpenAIHook.__new__(OpenAIHook), name)
    built = inspect.signature(build)

    assert method.__name__ == name == bound.__name__
    assert method.__name__ == (build.__name__ if name in BUILDERS else f"a{build.__name__}")
    assert method.__doc__ == build.__doc__
    unbound = inspect.signature(method)
    assert next(iter(unbound.parameters)) == "self"
    assert list(unbound.parameters.values())[1:] == list(built.parameters.values())
    assert inspect.signature(bound).parameters == built.parameters


@pytest.mark.parametrize(
    ("name", "returns"),
    [
        ("get_batch", "Batch"),
        ("list_files", "Iterator[OpenAIFile]"),
        ("aget_batch", "Coroutine[Any, Any, Batch]"),
        ("alist_fine_tuning_events", "AsyncIterator[FineTuningJobEvent]"),
        ("create_chat_completion", "CreateChatCompletionResponse"),
        ("stream_chat_completion", "ChunkStream[CreateChatCompletionStreamResponse]"),
        ("astream_completion", "AsyncChunkStream[CreateCompletionResponse]"),
    ],
)
def test_signature_shows_what_the_method_returns(name, returns):
    assert inspect.signature(getattr(OpenAIHook, name)).return_annotation == returns


def test_stream_builders_and_only_they_return_stream_calls():
    """As for lists: a streamed call built as a plain `ApiCall` would be typed as returning one model."""
    for name, build in BUILDERS.items():
        annotation = inspect.signature(build).return_annotation
        assert annotation.startswith("StreamCall[") == name.startswith("stream_"), (name, annotation)


def test_list_builders_and_only_they_return_list_calls():
    """The hook types a list method by its builder's annotation: a `ListCall` annotated as a plain
    `ApiCall` would be typed as returning one model, so every paginated call is built as a `ListCall`."""
    for name, build in BUILDERS.items():
        annotation = inspect.signature(build).return_annotation
        assert annotation.startswith("ListCall[") == name.startswith("list_"), (name, annotation)
    for path in Path(endpoints.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword):
                assert node.arg != "paginated", f"{path.name}:{node.lineno}: build a ListCall instead"


# -- type checkers ----------------------------------------------------------------------------------------

SNIPPET = """
from airflow_openai.hooks.openai import OpenAIHook

hook = OpenAIHook()
reveal_type(hook.get_batch)
reveal_type(hook.list_files)
reveal_type(hook.aget_batch)
reveal_type(hook.alist_fine_tuning_events)
reveal_type(hook.create_fine_tuning_job)
reveal_type(hook.stream_chat_completion)

async def use() -> None:
    reveal_type(await hook.aget_batch("batch_1"))
    async for event in hook.alist_fine_tuning_events("ftjob_1"):
        reveal_type(event)
    for file in hook.list_files(purpose="batch"):
        reveal_type(file)
    async for chunk in hook.astream_chat_completion("gpt-4o-mini", []):
        reveal_type(chunk)
    hook.get_batch(1)
"""

EXPECTED = [
    "def (batch_id: builtins.str) -> airflow_openai.models.batches.Batch",
    "def (purpose: builtins.str | None =, limit: builtins.int | None =, order: builtins.str | None =)"
    " -> typing.Iterator[airflow_openai.models.files.OpenAIFile]",
    "def (batch_id: builtins.str) -> typing.Coroutine[Any, Any, airflow_openai.models.batches.Batch]",
    "def (fine_tuning_job_id: builtins.str, limit: builtins.int | None =, after: builtins.str | None =)"
    " -> typing.AsyncIterator[airflow_openai.models.fine_tuning.FineTuningJobEvent]",
    "def (model: builtins.str, training_file: builtins.str, **options: Any)"
    " -> airflow_openai.models.fine_tuning.FineTuningJob",
    "def (model: builtins.str, messages: typing.Sequence[typing.Mapping[builtins.str, builtins.object]],"
    " **options: builtins.object)"
    " -> airflow_openai.client.sse.ChunkStream[airflow_openai.models.chat.CreateChatCompletionStreamResponse]",
    "airflow_openai.models.batches.Batch",
    "airflow_openai.models.fine_tuning.FineTuningJobEvent",
    "airflow_openai.models.files.OpenAIFile",
    "airflow_openai.models.chat.CreateChatCompletionStreamResponse",
]


def test_mypy_sees_each_methods_parameters_and_result(tmp_path):
    mypy_api = pytest.importorskip(
        "mypy.api", reason="mypy is not installed (it comes with the project's dev dependency group)"
    )
    snippet = tmp_path / "snippet.py"
    snippet.write_text(textwrap.dedent(SNIPPET))
    stdout, stderr, _ = mypy_api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--follow-imports=silent",  # only the snippet's own findings; `make lint` checks src/
            "--show-absolute-path",
            "--hide-error-context",
            "--no-error-summary",
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            str(snippet),
        ]
    )
    assert not stderr
    revealed = re.findall(r'Revealed type is "(.*)"', stdout)
    assert [_short(kind) for kind in revealed] == [_short(kind) for kind in EXPECTED], stdout
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, stdout
    assert f"{snippet.name}:20: error:" in errors[0], errors[0]
    assert 'incompatible type "int"; expected "str"' in errors[0], errors[0]


def _short(kind: str) -> str:
    """mypy writes `builtins.str` or `str` depending on its version; compare without the prefix."""
    return kind.replace("builtins.", "")
