"""Files replaced whole or not at all, and the probes that refuse, before any job runs, an output
path the results could not be written to."""

from __future__ import annotations

import pytest

from airflow_openai.storage import UnwritablePath, probe_writable, probe_writable_folder, replaced_whole
from tests.support.object_storage import attach_buckets, objects
from tests.support.read_only import read_only


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


# -- the output probes: refused before any job runs, every path the results could not be written to --


@pytest.fixture
def buckets():
    attach_buckets()


def _everything_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("as_uri", [False, True], ids=["path", "file:// URI"])
def test_a_file_target_that_is_a_folder_is_refused(tmp_path, as_uri):
    (tmp_path / "out").mkdir()
    where = f"file://{tmp_path}/out" if as_uri else str(tmp_path / "out")

    with pytest.raises(UnwritablePath, match=r"out is a folder, not a file"):
        probe_writable(where)
    assert _everything_under(tmp_path) == ["out"]


@pytest.mark.parametrize("probe", [probe_writable, probe_writable_folder])
@pytest.mark.parametrize("as_uri", [False, True], ids=["path", "file:// URI"])
def test_a_target_under_a_regular_file_is_refused(tmp_path, probe, as_uri):
    (tmp_path / "a_file").write_text("")
    where = tmp_path / "a_file" / "deeper" / "out.jsonl"

    with pytest.raises(UnwritablePath, match=r"a_file is a file, so nothing can be written under it"):
        probe(f"file://{where}" if as_uri else str(where))
    assert _everything_under(tmp_path) == ["a_file"]


def test_a_folder_target_that_is_a_regular_file_is_refused(tmp_path):
    (tmp_path / "metrics").write_text("")

    with pytest.raises(UnwritablePath, match=r"metrics is a file, not a folder"):
        probe_writable_folder(str(tmp_path / "metrics"))


@pytest.mark.parametrize("probe", [probe_writable, probe_writable_folder])
def test_a_read_only_folder_is_refused(tmp_path, probe):
    locked = tmp_path / "locked"
    locked.mkdir()

    with read_only(locked), pytest.raises(UnwritablePath, match=r"locked.* (cannot be made|can be written)"):
        probe(str(locked / "sub" / "out"))
    assert _everything_under(tmp_path) == ["locked"]


def test_a_read_only_file_is_refused(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"last good export\n")

    with (
        read_only(target),
        pytest.raises(UnwritablePath, match=r"the existing file .*out.jsonl is not writable"),
    ):
        probe_writable(str(target))
    assert target.read_bytes() == b"last good export\n"


def test_good_targets_pass_and_the_probe_leaves_only_the_folders_the_write_needs(tmp_path):
    (tmp_path / "old.jsonl").write_bytes(b"kept\n")

    probe_writable(str(tmp_path / "old.jsonl"))
    probe_writable(str(tmp_path / "new" / "o.jsonl"))
    probe_writable_folder(str(tmp_path / "metrics"))
    probe_writable_folder(f"file://{tmp_path}/more/metrics/")
    with open(tmp_path / "old.jsonl", "rb") as own:
        probe_writable(own)  # a caller's own file object: taken as writable

    assert _everything_under(tmp_path) == ["metrics", "more", "more/metrics", "new", "old.jsonl"]
    assert (tmp_path / "old.jsonl").read_bytes() == b"kept\n", "opened for writing, never changed"


def test_object_storage_is_probed_by_writing_and_deleting_an_object_beside_the_target(buckets):
    probe_writable("tmem://bucket/out/results.jsonl")
    probe_writable_folder("tmem://bucket/metrics/")

    assert objects() == [], "each probe object was deleted"


def test_a_bucket_these_credentials_cannot_write_is_refused(buckets):
    for probe, target in (
        (probe_writable, "romem://bucket/out/results.jsonl"),
        (probe_writable_folder, "romem://bucket/metrics"),
    ):
        with pytest.raises(
            UnwritablePath, match=r"nothing can be written in romem:///bucket/\w+ \(PermissionError"
        ):
            probe(target)


def test_object_storage_folders_and_objects_are_told_apart(buckets):
    from airflow.sdk import ObjectStoragePath

    ObjectStoragePath("tmem://bucket/out/results.jsonl").write_bytes(b"x")

    with pytest.raises(UnwritablePath, match=r"bucket/out is a folder, not a file"):
        probe_writable("tmem://bucket/out")
    with pytest.raises(UnwritablePath, match=r"results.jsonl is an object \(a file\), not a folder"):
        probe_writable_folder("tmem://bucket/out/results.jsonl")
    assert objects() == ["/bucket/out/results.jsonl"]
