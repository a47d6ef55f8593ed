"""The plain checks behind the operator's refusals: each names what is wrong, in words a DAG author acts on."""

from __future__ import annotations

import math

import pytest

from airflow_openai.batch.chunks import prepare
from airflow_openai.batch.identity import MAX_USER_METADATA, TaskIdentity, batch_metadata, check_user_metadata
from airflow_openai.batch.requests import (
    InvalidBatchInput,
    check_completion_window,
    from_prompts,
    prompt_rows,
)
from airflow_openai.jsonl import UnreadableLine, parse_line
from airflow_openai.storage import probe_writable


def test_the_user_gets_what_the_operators_tags_leave_of_sixteen_pairs():
    tags = TaskIdentity("d", "t", "r").tags("sha", 0, 1)
    user = {f"k{n}": "v" for n in range(MAX_USER_METADATA)}

    assert len(batch_metadata(user, tags)) == 16
    with pytest.raises(ValueError, match="10 are left for yours"):
        check_user_metadata({**user, "one_more": "v"})


@pytest.mark.parametrize(
    "metadata, message",
    [
        ({"k" * 65: "v"}, "at most 64"),
        ({"k": "v" * 513}, "513 characters; at most 512"),
        ({"k": None}, "must be a string, not NoneType"),
        ({1: "v"}, "key 1 must be a string, not int"),
        (["k", "v"], "must be a dict of strings, not list"),
    ],
)
def test_metadata_the_api_would_refuse_is_refused(metadata, message):
    with pytest.raises(ValueError, match=message):
        check_user_metadata(metadata)


def test_metadata_at_the_limits_passes():
    assert check_user_metadata({"k" * 64: "v" * 512}) == {"k" * 64: "v" * 512}


@pytest.mark.parametrize("prompts", ["one", {"prompt": "one"}])
def test_one_string_or_one_dict_is_one_prompt(prompts):
    assert list(prompt_rows(prompts)) == [prompts]


@pytest.mark.parametrize("prompts, name", [(3, "int"), ({"a"}, "set"), (b"a", "bytes"), (None, "NoneType")])
def test_prompts_of_another_type_are_refused_by_name(prompts, name):
    with pytest.raises(InvalidBatchInput, match=f"got {name}$"):
        prompt_rows(prompts)


def test_a_bad_prompt_row_is_named_by_its_position():
    with pytest.raises(InvalidBatchInput, match=r"line 3: prompts\[2\]: .*not list"):
        list(from_prompts(["a", "b", ["c"]], model="m"))


@pytest.mark.parametrize("window", ["1h", "24", None, 24])
def test_only_the_24h_window_is_taken(window):
    with pytest.raises(InvalidBatchInput, match="completion_window must be '24h'"):
        check_completion_window(window)


@pytest.mark.parametrize(
    "raw, message",
    [
        ('{"a": NaN}', "NaN is not valid JSON"),
        ('{"a": [Infinity]}', "Infinity is not valid JSON"),
        ('{"a": "\\ud800"}', r"lone surrogate \(U\+D800\)"),
        ('{"a": "\\uDC00 x"}', r"lone surrogate \(U\+DC00\)"),
        (b'{"a": "\xc3"}', "not UTF-8 text"),
    ],
)
def test_lines_the_apis_parser_refuses_are_refused(raw, message):
    with pytest.raises(UnreadableLine, match=message):
        parse_line(raw)


def test_a_surrogate_pair_escape_is_one_character():
    assert parse_line('{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}


@pytest.mark.parametrize(
    "value, message", [(math.inf, "NaN or Infinity"), ("\udfff", r"lone surrogate \(U\+DFFF\)")]
)
def test_python_values_json_cannot_carry_are_refused_naming_the_line(tmp_path, value, message):
    good = {"custom_id": "a", "body": {"x": 1}}
    bad = {"custom_id": "b", "body": {"x": value}}

    with pytest.raises(InvalidBatchInput, match=f"line 2: .*{message}"):
        prepare([(good, None), (bad, None)], tmp_path, "/v1/chat/completions")


def test_the_output_probe_leaves_only_the_folder_it_made(tmp_path):
    probe_writable(str(tmp_path / "new" / "o.jsonl"))

    assert [p.name for p in tmp_path.iterdir()] == ["new"] and list((tmp_path / "new").iterdir()) == []


def test_the_output_probe_fails_under_a_file(tmp_path):
    (tmp_path / "f").write_text("")

    with pytest.raises(OSError):
        probe_writable(str(tmp_path / "f" / "o.jsonl"))


def test_the_output_probe_works_on_object_storage_paths(tmp_path):
    (tmp_path / "f").write_text("")

    probe_writable(f"file://{tmp_path}/new/o.jsonl")

    assert (
        sorted(p.name for p in tmp_path.iterdir()) == ["f", "new"]
        and list((tmp_path / "new").iterdir()) == []
    )
    with pytest.raises(OSError):
        probe_writable(f"file://{tmp_path}/f/o.jsonl")
