"""The sync rules, one by one, on plain values."""

from __future__ import annotations

import hashlib

import pytest

from airflow_openai.vector_stores.naming import ingested_name, parse
from airflow_openai.vector_stores.plan import SourceFile, StoreFile, plan


def source(path: str, content: str) -> SourceFile:
    return SourceFile(f"/docs/{path}", path, hashlib.sha256(content.encode()).hexdigest(), len(content))


def attached(file: SourceFile, file_id: str, status: str = "completed") -> StoreFile:
    return StoreFile(file_id, file.upload_name, status)


def test_names_carry_the_path_and_the_fingerprint_and_keep_the_extension_last():
    name = ingested_name("guides/intro to x.md", "ab" * 32)
    assert name == "abababababababab~guides%2Fintro%20to%20x.md" and name.endswith(".md")
    parsed = parse(name)
    assert parsed is not None and parsed.relative_path == "guides/intro to x.md"
    assert parse("report.pdf") is None and parse(None) is None


def test_a_first_sync_adds_everything():
    files = [source("a.md", "a"), source("b.md", "b")]
    result = plan(files, [], {})
    assert [(a.source.relative_path, a.change, a.file_id) for a in result.attach] == [
        ("a.md", "added", None),
        ("b.md", "added", None),
    ]
    assert len(result.uploads) == 2 and not result.removed and not result.unchanged


def test_an_unchanged_folder_plans_nothing():
    files = [source("a.md", "a"), source("b.md", "b")]
    result = plan(files, [attached(files[0], "file-a"), attached(files[1], "file-b")], {})
    assert result.attach == [] and result.unchanged == ["a.md", "b.md"]
    assert not result.removed and not result.replaced_versions


def test_one_changed_one_removed_one_added():
    old_a, b, c = source("a.md", "a"), source("b.md", "b"), source("c.md", "c")
    new_a = source("a.md", "a, edited")
    store = [attached(old_a, "file-a1"), attached(b, "file-b")]
    result = plan([new_a, c], store, {})
    assert [(a.source.relative_path, a.change) for a in result.attach] == [
        ("a.md", "replaced"),
        ("c.md", "added"),
    ]
    assert result.replaced_versions == {"a.md": ["file-a1"]}
    assert result.removed == {"b.md": ["file-b"]}


def test_append_mode_never_removes():
    old_a, b = source("a.md", "a"), source("b.md", "b")
    result = plan(
        [source("a.md", "new")], [attached(old_a, "file-a1"), attached(b, "file-b")], {}, mode="append"
    )
    assert result.removed == {} and result.replaced_versions == {}
    assert [a.change for a in result.attach] == ["replaced"]


def test_failed_attachments_are_attached_again_without_uploading():
    a = source("a.md", "a")
    result = plan([a], [attached(a, "file-a", status="failed")], {})
    assert [(x.change, x.file_id) for x in result.attach] == [("retried", "file-a")]
    assert result.uploads == []


def test_content_uploaded_by_a_dead_attempt_is_attached_not_uploaded_again():
    a = source("a.md", "a")
    result = plan([a], [], {a.upload_name: "file-orphan"})
    assert [(x.change, x.file_id) for x in result.attach] == [("added", "file-orphan")]


def test_files_a_sync_did_not_upload_are_left_alone():
    a = source("a.md", "a")
    result = plan([a], [StoreFile("file-manual", "handbook.pdf", "completed")], {})
    assert result.foreign == 1 and result.removed == {}


def test_a_completed_new_version_clears_old_versions_left_by_a_dead_attempt():
    old, new = source("a.md", "a"), source("a.md", "b")
    result = plan([new], [attached(old, "file-old"), attached(new, "file-new")], {})
    assert result.unchanged == ["a.md"] and result.replaced_versions == {"a.md": ["file-old"]}


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode must be one of sync, append"):
        plan([], [], {}, mode="mirror")
