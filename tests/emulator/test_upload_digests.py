"""The emulator's running md5: the same answer whatever order parts arrive or are listed in."""

from __future__ import annotations

import hashlib
import os

from airflow_openai.emulator.files.upload_digests import UploadDigests


def _parts(tmp_path, count: int = 4) -> tuple[list[str], list, bytes]:
    ids, paths, data = [], [], b""
    for index in range(count):
        chunk = os.urandom(100_000 + index)
        path = tmp_path / f"part_{index}"
        path.write_bytes(chunk)
        ids.append(f"part_{index}")
        paths.append(path)
        data += chunk
    return ids, paths, data


def test_parts_landing_out_of_order_but_listed_in_order(tmp_path):
    ids, paths, data = _parts(tmp_path)
    digests = UploadDigests()
    for part_id in ids:
        digests.part_started("upload_1", part_id)
    for index in (2, 0, 3, 1):
        digests.part_stored("upload_1", ids[index], paths[index])

    assert digests.md5("upload_1", ids, paths) == hashlib.md5(data).hexdigest()


def test_parts_listed_in_another_order_than_they_began(tmp_path):
    ids, paths, _ = _parts(tmp_path)
    digests = UploadDigests()
    for part_id, path in zip(ids, paths, strict=True):
        digests.part_started("upload_1", part_id)
        digests.part_stored("upload_1", part_id, path)
    order = [3, 1, 0, 2]
    listed_paths = [paths[i] for i in order]

    answer = digests.md5("upload_1", [ids[i] for i in order], listed_paths)

    assert answer == hashlib.md5(b"".join(p.read_bytes() for p in listed_paths)).hexdigest()


def test_a_failed_part_request_does_not_hold_up_the_ones_after_it(tmp_path):
    ids, paths, _ = _parts(tmp_path)
    digests = UploadDigests()
    for part_id in ids:
        digests.part_started("upload_1", part_id)
    digests.part_dropped("upload_1", ids[1])
    for index in (0, 2, 3):
        digests.part_stored("upload_1", ids[index], paths[index])
    kept = [0, 2, 3]

    answer = digests.md5("upload_1", [ids[i] for i in kept], [paths[i] for i in kept])

    assert answer == hashlib.md5(b"".join(paths[i].read_bytes() for i in kept)).hexdigest()


def test_an_upload_it_never_saw_begin_is_hashed_from_its_parts(tmp_path):
    """After a restart the running state is gone: completion still gives the right md5."""
    ids, paths, data = _parts(tmp_path)
    assert UploadDigests().md5("upload_1", ids, paths) == hashlib.md5(data).hexdigest()
