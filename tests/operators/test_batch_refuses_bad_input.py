"""Input the Batch API would refuse is refused by the operator first: the task fails (or, with
nothing to send, is skipped) with a message naming the line, the field and the reason, and
nothing is uploaded or created on the emulator."""

from __future__ import annotations

import math
import os

import pytest
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from pydantic import BaseModel

from tests.support.dag_runner import run_dag, task_states
from tests.support.task_instance import TaskInstanceStandIn

CHAT = {"messages": [{"role": "user", "content": "hi"}]}


def _execute(tmp_path, **kwargs):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    options = {"model": "gpt-4o-mini", "poll_interval": 0.2, "output_path": str(tmp_path / "o.jsonl")}
    op = OpenAIBatchOperator(task_id="batch", **{**options, **kwargs})
    return op.execute({"ti": TaskInstanceStandIn("batch")})


def _nothing_remote(emu_hook) -> bool:
    return list(emu_hook.list_files()) == [] and list(emu_hook.list_batches()) == []


def _jsonl(tmp_path, *lines: bytes):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return str(path)


PARSE_TIME = {
    "11 user metadata pairs (17 with the tags)": (
        {"prompts": ["a"], "metadata": {f"k{n}": "v" for n in range(11)}},
        r"metadata has 11 pairs; a batch holds 16 and the operator uses 6 .* 10 are left for yours",
    ),
    "a 600-character metadata value": (
        {"prompts": ["a"], "metadata": {"note": "x" * 600}},
        r"metadata\['note'\] has 600 characters; at most 512",
    ),
    "a 65-character metadata key": (
        {"prompts": ["a"], "metadata": {"k" * 65: "v"}},
        r"65 characters; at most 64",
    ),
    "a number as a metadata value": (
        {"prompts": ["a"], "metadata": {"n": 3}},
        r"metadata\['n'\] must be a string, not int",
    ),
    "metadata as a list of pairs": (
        {"prompts": ["a"], "metadata": [("k", "v")]},
        r"metadata must be a dict of strings, not list",
    ),
    "a reserved metadata key": ({"prompts": ["a"], "metadata": {"airflow_run_id": "x"}}, r"reserved"),
    "completion_window 1h": (
        {"prompts": ["a"], "completion_window": "1h"},
        r"completion_window must be '24h'; got '1h'",
    ),
    "an unknown endpoint": (
        {"requests": [{"input": "a"}], "endpoint": "/v1/responses"},
        r"endpoint must be one of .*'/v1/responses'",
    ),
}


@pytest.mark.parametrize("kwargs, message", PARSE_TIME.values(), ids=PARSE_TIME.keys())
def test_a_parameter_the_api_would_refuse_fails_the_dag_import(kwargs, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        _execute(tmp_path, **kwargs)


def _function_of(value: float) -> dict:
    """A function whose `parameters`, a JSON schema, the request schema takes whatever it holds."""
    return {"name": "f", "parameters": {"type": "object", "x-score": value}}


BAD_INPUTS = {
    "prompts as an int": ({"prompts": 7}, r"prompts must be .*got int"),
    "prompts as a set": ({"prompts": {"a", "b"}}, r"got set"),
    "None inside prompts": ({"prompts": ["a", None]}, r"line 2: prompts\[1\]: .* not NoneType"),
    "a number inside prompts": ({"prompts": ["a", "b", 3.5]}, r"line 3: prompts\[2\]: .* not float"),
    "a dict of dicts": (
        {"prompts": {"q1": {"prompt": "a"}}},
        r"line 1: prompts\[0\]: .*needs a string 'prompt'",
    ),
    "no model anywhere": (
        {"requests": [CHAT, {"model": ""}], "model": None},
        r"line 1: body.model is required",
    ),
    "a number as the model": (
        {"requests": [CHAT, {**CHAT, "model": 4}]},
        r"line 2: body.model must be a model name \(a string\), not int",
    ),
    "NaN in a request": (
        {"requests": [CHAT, {**CHAT, "temperature": math.nan}]},
        r"line 2: body.temperature: .*finite number",
    ),
    "NaN where the schema takes anything": (
        {"requests": [CHAT, {**CHAT, "tools": [{"type": "function", "function": _function_of(math.nan)}]}]},
        r"line 2: holds NaN or Infinity",
    ),
    "NaN in a row's own metadata": (
        {"requests": [CHAT, {"body": CHAT, "metadata": {"score": math.nan}}]},
        r"line 2: metadata holds NaN or Infinity",
    ),
    "a field the API does not define": (
        {"requests": [CHAT, {**CHAT, "review_id": 5}]},
        r"line 2: body.review_id: not a parameter of /v1/chat/completions \(API 2.3.0\)",
    ),
    "an unknown key in a prompt row": (
        {"prompts": ["a", {"prompt": "b", "review_id": 5}]},
        r"line 2: prompts\[1\]: unknown key 'review_id': .* under 'metadata'",
    ),
    "messages as a string": (
        {"requests": [CHAT, {**CHAT, "messages": "What is 2+2?"}]},
        r"line 2: body.messages: .*valid list",
    ),
    "temperature out of range": (
        {"requests": [{**CHAT, "temperature": 7}]},
        r"line 1: body.temperature: .*",
    ),
    "n as a word": (
        {"requests": [{**CHAT, "n": "two"}]},
        r"line 1: body.n: ",
    ),
    "a lone surrogate in a prompt": (
        {"prompts": ["ok", "bad \ud800"]},
        r"line 2: holds a lone surrogate \(U\+D800\)",
    ),
}


@pytest.mark.parametrize("kwargs, message", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_fails_naming_the_reason_and_creates_nothing(emu, emu_hook, tmp_path, kwargs, message):
    with pytest.raises(AirflowFailException, match=message) as failure:
        _execute(tmp_path, **kwargs)

    assert str(failure.value).startswith("Invalid batch input, nothing was submitted")
    assert _nothing_remote(emu_hook)


BAD_FILES = {
    "NaN": (b'{"body": {"messages": [], "temperature": NaN}}', r"line 2: NaN is not valid JSON"),
    "-Infinity": (b'{"body": {"x": -Infinity}}', r"line 2: -Infinity is not valid JSON"),
    "a lone surrogate escape": (b'{"body": {"x": "\\ud800"}}', r"line 2: holds a lone surrogate"),
    "invalid UTF-8": (b'{"body": {"x": "\xff"}}', r"line 2: not UTF-8 text \(byte 0xff"),
}


@pytest.mark.parametrize("line, message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_line_in_an_input_file_is_named(emu, emu_hook, tmp_path, line, message):
    good = b'{"body": {"messages": [{"role": "user", "content": "hi"}]}}'
    with pytest.raises(AirflowFailException, match=message):
        _execute(tmp_path, input_file=_jsonl(tmp_path, good, line))

    assert _nothing_remote(emu_hook)


def test_one_dict_is_one_prompt_not_its_keys(emu, tmp_path):
    manifest = _execute(tmp_path, prompts={"prompt": "What is 2+2?", "temperature": 0})

    assert manifest["total"] == 1 and manifest["succeeded"] == 1


@pytest.mark.parametrize("empty", [{"prompts": []}, {"requests": []}, {"input_file": "blank"}])
def test_empty_input_is_skipped_saying_there_was_nothing_to_send(emu, emu_hook, tmp_path, empty):
    if "input_file" in empty:
        empty = {"input_file": _jsonl(tmp_path, b"", b"  ")}
    from airflow_openai.operators.batch import OpenAIBatchOperator

    ti = TaskInstanceStandIn("batch")
    options = {"model": "gpt-4o-mini", "output_path": str(tmp_path / "o.jsonl"), **empty}
    with pytest.raises(AirflowSkipException, match="Nothing to send"):
        OpenAIBatchOperator(task_id="batch", **options).execute({"ti": ti})

    assert _nothing_remote(emu_hook)
    assert ti.xcom["manifest"]["total"] == 0 and "Nothing to send" in ti.xcom["manifest"]["skipped"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_an_unwritable_output_path_is_found_out_before_the_upload(emu, emu_hook, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(AirflowFailException, match=r"output_path .*locked.* cannot be written"):
            _execute(tmp_path, prompts=["a"], output_path=str(locked / "sub" / "o.jsonl"))
    finally:
        locked.chmod(0o700)

    assert _nothing_remote(emu_hook)


def test_an_output_path_under_a_file_is_found_out_before_the_upload(emu, emu_hook, tmp_path):
    (tmp_path / "a_file").write_text("")

    with pytest.raises(AirflowFailException, match=r"output_path .*a_file.* cannot be written"):
        _execute(tmp_path, prompts=["a"], output_path=str(tmp_path / "a_file" / "o.jsonl"))

    assert _nothing_remote(emu_hook)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"], "the probe leaves nothing behind"


def test_templated_parameters_are_refused_once_rendered_before_any_remote_call(
    airflow_db, emu, emu_hook, new_dag, tmp_path, capsys
):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    with new_dag(params={"window": "1h", "note": "x" * 600}) as dag:
        for task_id, parameter in (
            ("window", {"completion_window": "{{ params.window }}"}),
            ("metadata", {"metadata": {"note": "{{ params.note }}"}}),
        ):
            OpenAIBatchOperator(
                task_id=task_id,
                prompts=["a"],
                model="gpt-4o-mini",
                retries=2,
                output_path=str(tmp_path / f"{task_id}.jsonl"),
                **parameter,
            )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"window": "failed", "metadata": "failed"}, "bad input is not retried"
    assert _nothing_remote(emu_hook)
    log = capsys.readouterr().out  # the task logs through Airflow's structlog, as in a worker
    assert "completion_window must be '24h'; got '1h'" in log
    assert "metadata['note'] has 600 characters; at most 512" in log


class Scores(BaseModel):
    scores: dict[str, int]


@pytest.mark.parametrize(
    "response_format, message",
    [
        (
            {"type": "nonsense"},
            "response_format is refused at $.type: 'nonsense' is not a response format type",
        ),
        (Scores, "response_format is refused at $.properties.scores.additionalProperties: free-form maps"),
        (
            {"type": "object", "properties": {"n": {"type": "integer", "minLength": 1}}},
            "response_format is refused at $.properties.n.minLength: keyword 'minLength'",
        ),
    ],
)
def test_a_bad_response_format_fails_as_bad_input_before_anything_is_sent(
    emu, emu_hook, tmp_path, response_format, message
):
    """The structured-output check is not the batch's own, yet its refusal reads like any bad input."""
    with pytest.raises(AirflowFailException) as caught:
        _execute(tmp_path, prompts=["What is 2+2?"], response_format=response_format)

    assert str(caught.value).startswith("Invalid batch input, nothing was submitted")
    assert message in str(caught.value)
    assert emu.requests("*", method="POST") == 0, "nothing at all was sent to create anything"
    assert _nothing_remote(emu_hook)
