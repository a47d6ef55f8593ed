"""Files replaced whole or not at all: a failed rewrite keeps what was there."""

from __future__ import annotations

import pytest

from airflow_openai.storage import replaced_whole


@pytest.mark.parametrize("as_uri", [False, True])
def test_a_failed_rewrite_keeps_the_previous_file_and_leaves_no_partial(tmp_path, as_uri):
    target = tmp_path / "exports" / "hour.jsonl"
    where = f"file://{target}" if as_uri else str(target)

    with replaced_whole(where) as sink:
        sink.write(b'{"n": 1}\n')
    assert target.read_bytes() == b'{"n": 1}\n'

    with pytest.raises(RuntimeError), replaced_whole(where) as sink:
        sink.write(b'{"n": 2}\n{"n": ')
        raise RuntimeError("the worker stopped mid-write")
    assert target.read_bytes() == b'{"n": 1}\n', "the last good export is still there"
    assert sorted(p.name for p in target.parent.iterdir()) == ["hour.jsonl"]

    with replaced_whole(where) as sink:
        sink.write(b'{"n": 3}\n')
    assert target.read_bytes() == b'{"n": 3}\n'


def test_an_object_storage_path_for_local_files_is_written_beside_itself(tmp_path):
    from airflow.sdk import ObjectStoragePath

    target = ObjectStoragePath(f"file://{tmp_path}/out/x.jsonl")
    with pytest.raises(ValueError), replaced_whole(target) as sink:
        sink.write(b"half")
        raise ValueError("stop")
    assert not (tmp_path / "out" / "x.jsonl").exists()
    with replaced_whole(target) as sink:
        sink.write(b"whole")
    assert (tmp_path / "out" / "x.jsonl").read_bytes() == b"whole"
