"""The pieces under the sync's new rules: which hidden files a glob matched, names of paths that are not
UTF-8, who else holds a file (at the fewest requests), and the memory of refused files."""

from __future__ import annotations

import io
import sys

import pytest

from airflow_openai.vector_stores.source import _fits, _matches


def _tree(root, names):
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)


NAMES = ["a.md", ".b.md", "c.txt", "sub/d.md", "sub/.e.md", ".hid/f.md", ".hid/deep/g.md", "sub/deep/h.md"]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="glob's include_hidden is 3.11's")
@pytest.mark.parametrize(
    "pattern", ["**/*", "*.md", "**/*.md", "sub/*", "*/*.md", "**/deep/*", "sub/**", "?.md"]
)
def test_the_hidden_files_found_are_those_glob_takes_with_include_hidden(tmp_path, pattern):
    import glob
    import os

    _tree(tmp_path, NAMES)
    full = f"{tmp_path}/{pattern}"
    visible, hidden = _matches(full)
    everything = [p for p in glob.glob(full, recursive=True, include_hidden=True) if os.path.isfile(p)]
    assert sorted(visible + hidden) == sorted(everything) and not set(visible) & set(hidden)
    assert all(os.path.isfile(p) for p in hidden)


def test_a_relative_glob_finds_its_hidden_files_too(tmp_path, monkeypatch):
    _tree(tmp_path, NAMES)
    monkeypatch.chdir(tmp_path)
    assert _matches("sub/*.md") == (["sub/d.md"], ["sub/.e.md"])
    assert _matches("*.md") == (["a.md"], [".b.md"])


def test_a_glob_part_matches_as_the_glob_module_reads_it():
    assert _fits(["**", "*.md"], ["a.md"]) and _fits(["**", "*.md"], ["x", "y", "a.md"])
    assert not _fits(["*.md"], ["x", "a.md"]) and not _fits(["sub", "*"], ["sub"])
    assert _fits(["[ab].md"], ["b.md"]) and not _fits(["[ab].md"], ["c.md"])


def test_a_path_that_is_not_utf8_makes_an_ascii_name_that_reads_back():
    from airflow_openai.vector_stores.naming import ingested_name, parse

    path = b"notes/caf\xe9.md".decode("utf-8", "surrogateescape")  # a Latin-1 name on a UTF-8 disk
    name = ingested_name(path, "ab" * 32, "0123abcd")
    assert name.isascii() and name.endswith("caf%E9.md")
    parsed = parse(name)
    assert parsed is not None and parsed.relative_path == path


def test_who_holds_a_file_is_asked_at_the_fewest_requests(emu, emu_hook):
    from airflow_openai.vector_stores.sharing import holders

    files = [emu_hook.create_file(io.BytesIO(b"text %d" % n), "assistants", f"f{n}.md").id for n in range(3)]
    big = emu_hook.create_vector_store(name="big", file_ids=files).id  # one page: listed, not asked per file
    small = emu_hook.create_vector_store(name="small", file_ids=files[:1]).id
    emu_hook.create_vector_store(name="empty")  # reports no file: not asked
    mine = emu_hook.create_vector_store(name="mine", file_ids=files).id  # excluded
    before = (
        emu.requests("/v1/vector_stores/*/files", "GET"),
        emu.requests("/v1/vector_stores/*/files/*", "GET"),
    )

    held = holders(emu_hook, files[:2], exclude=[mine], call=lambda step, what: step())

    assert held == {files[0]: sorted([big, small]), files[1]: [big]}
    listed = emu.requests("/v1/vector_stores/*/files", "GET") - before[0]
    asked = emu.requests("/v1/vector_stores/*/files/*", "GET") - before[1]
    assert (listed, asked) == (2, 0), "two files to ask about, one page of files a store: each listed"

    held = holders(emu_hook, files[2:], exclude=[mine], call=lambda step, what: step())
    assert held == {files[2]: [big]}
    listed = emu.requests("/v1/vector_stores/*/files", "GET") - before[0] - listed
    asked = emu.requests("/v1/vector_stores/*/files/*", "GET") - before[1] - asked
    assert (listed, asked) == (0, 2), "one file: each store asked about it (a 404 from the small one)"
    assert holders(emu_hook, [], exclude=[], call=lambda step, what: step()) == {}


def test_refused_files_are_remembered_by_path_and_content():
    from airflow_openai.vector_stores.refusals import REFUSED_METADATA, ROOM, fingerprint, split

    empty = {"file": "empty.md", "file_id": None, "code": "invalid_file", "message": "empty"}
    new, before, marks = split([empty], {"empty.md": "e3b0"}, {"other": "x"})
    assert (new, before) == ([empty], []) and marks == {fingerprint("empty.md", "e3b0")}
    remembered = {REFUSED_METADATA: " ".join(marks)}
    assert split([empty], {"empty.md": "e3b0"}, remembered)[:2] == ([], [empty])
    assert split([empty], {"empty.md": "f00d"}, remembered)[:2] == ([empty], []), "a new version counts"
    assert ROOM * 9 - 1 <= 512 < (ROOM + 1) * 9 - 1
