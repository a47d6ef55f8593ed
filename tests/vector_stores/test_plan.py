"""The sync rules, one by one, on plain values."""

from __future__ import annotations

import hashlib

import pytest

from airflow_openai.vector_stores.naming import ingested_name, parse, store_tag
from airflow_openai.vector_stores.plan import SourceFile, StoreFile, plan

TAG = store_tag("vs_mine")


def source(path: str, content: str) -> SourceFile:
    return SourceFile(f"/docs/{path}", path, hashlib.sha256(content.encode()).hexdigest(), len(content))


def attached(file: SourceFile, file_id: str, status: str = "completed", code: str | None = None) -> StoreFile:
    return StoreFile(file_id, file.upload_name(TAG), status, code)


def test_names_carry_the_path_and_the_fingerprint_and_keep_the_extension_last():
    name = ingested_name("guides/intro to x.md", "ab" * 32, TAG)
    assert name == f"abababababababab~{TAG}~guides%2Fintro%20to%20x.md" and name.endswith(".md")
    parsed = parse(name)
    assert parsed is not None and parsed.relative_path == "guides/intro to x.md" and parsed.store_tag == TAG
    assert parse("report.pdf") is None and parse(None) is None


def test_a_first_sync_adds_everything():
    files = [source("a.md", "a"), source("b.md", "b")]
    result = plan(files, [], {}, TAG)
    assert [(a.source.relative_path, a.change, a.file_id) for a in result.attach] == [
        ("a.md", "added", None),
        ("b.md", "added", None),
    ]
    assert len(result.uploads) == 2 and not result.removed and not result.unchanged


def test_an_unchanged_folder_plans_nothing():
    files = [source("a.md", "a"), source("b.md", "b")]
    result = plan(files, [attached(files[0], "file-a"), attached(files[1], "file-b")], {}, TAG)
    assert result.attach == [] and result.unchanged == ["a.md", "b.md"]
    assert not result.removed and not result.replaced_versions


def test_one_changed_one_removed_one_added():
    old_a, b, c = source("a.md", "a"), source("b.md", "b"), source("c.md", "c")
    new_a = source("a.md", "a, edited")
    store = [attached(old_a, "file-a1"), attached(b, "file-b")]
    result = plan([new_a, c], store, {}, TAG)
    assert [(a.source.relative_path, a.change) for a in result.attach] == [
        ("a.md", "replaced"),
        ("c.md", "added"),
    ]
    assert result.replaced_versions == {"a.md": ["file-a1"]}
    assert result.removed == {"b.md": ["file-b"]}


def test_append_mode_never_removes():
    old_a, b = source("a.md", "a"), source("b.md", "b")
    result = plan(
        [source("a.md", "new")], [attached(old_a, "file-a1"), attached(b, "file-b")], {}, TAG, mode="append"
    )
    assert result.removed == {} and result.replaced_versions == {}
    assert [a.change for a in result.attach] == ["added"], "nothing is replaced: the old version stays"


def test_failed_attachments_are_attached_again_without_uploading():
    a = source("a.md", "a")
    result = plan([a], [attached(a, "file-a", status="failed", code="server_error")], {}, TAG)
    assert [(x.change, x.file_id) for x in result.attach] == [("retried", "file-a")]
    assert result.uploads == []


def test_content_uploaded_by_a_dead_attempt_is_attached_not_uploaded_again():
    a = source("a.md", "a")
    result = plan([a], [], {a.upload_name(TAG): "file-orphan"}, TAG)
    assert [(x.change, x.file_id) for x in result.attach] == [("added", "file-orphan")]


def test_files_a_sync_did_not_upload_are_left_alone():
    a = source("a.md", "a")
    other_store = StoreFile("file-theirs", a.upload_name(store_tag("vs_other")), "completed")
    result = plan([a], [StoreFile("file-manual", "handbook.pdf", "completed"), other_store], {}, TAG)
    assert result.foreign == 2 and result.removed == {}
    assert [x.change for x in result.attach] == ["added"], "another store's upload is not taken"


def test_a_completed_new_version_clears_old_versions_left_by_a_dead_attempt():
    old, new = source("a.md", "a"), source("a.md", "b")
    result = plan([new], [attached(old, "file-old"), attached(new, "file-new")], {}, TAG)
    assert result.unchanged == ["a.md"] and result.replaced_versions == {"a.md": ["file-old"]}


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode must be one of sync, append"):
        plan([], [], {}, TAG, mode="mirror")


def test_a_file_that_failed_for_good_is_reported_not_attached_again():
    a = source("data.xyz", "?")
    result = plan([a], [attached(a, "file-x", status="failed", code="unsupported_file")], {}, TAG)
    assert result.attach == [] and [f.file_id for f in result.settled_failures] == ["file-x"]


def test_a_source_scanned_through_object_storage_reads_like_a_local_one(tmp_path):
    """`file://` goes through ObjectStoragePath, as s3:// does: files only, no hidden ones,
    the same relative paths and digests as the local glob."""
    from airflow_openai.vector_stores.source import scan

    (tmp_path / "sub" / ".git").mkdir(parents=True)
    (tmp_path / "a.md").write_text("alpha")
    (tmp_path / "sub" / "b.md").write_text("beta")
    (tmp_path / ".hidden.md").write_text("hidden")
    (tmp_path / "sub" / ".git" / "c.md").write_text("git")
    local = scan(f"{tmp_path}/**/*")
    remote = scan(f"file://{tmp_path}/**/*")
    assert sorted(f.relative_path for f in local.files) == ["a.md", "sub/b.md"]
    assert sorted((f.relative_path, f.sha256, f.size) for f in remote.files) == sorted(
        (f.relative_path, f.sha256, f.size) for f in local.files
    )
    assert local.hidden == remote.hidden == [".hidden.md", "sub/.git/c.md"], "counted, not taken"
    everything = scan(f"{tmp_path}/**/*", include_hidden=True)
    assert sorted(f.relative_path for f in everything.files) == [
        ".hidden.md",
        "a.md",
        "sub/.git/c.md",
        "sub/b.md",
    ]
    remote_everything = scan(f"file://{tmp_path}/**/*", include_hidden=True)
    assert sorted(f.relative_path for f in remote_everything.files) == sorted(
        f.relative_path for f in everything.files
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {
                "chunking_strategy": {
                    "type": "static",
                    "static": {"max_chunk_size_tokens": 50, "chunk_overlap_tokens": 0},
                }
            },
            "from 100 to 4096",
        ),
        (
            {
                "chunking_strategy": {
                    "type": "static",
                    "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 500},
                }
            },
            "half the chunk size, 400",
        ),
        ({"chunking_strategy": {"type": "fancy"}}, "chunking_strategy must be"),
        ({"expires_after": {"anchor": "created_at", "days": 3}}, "last_active_at"),
        ({"metadata": {f"k{n}": "v" for n in range(16)}}, "the store key takes one"),
        ({"metadata": {"airflow_store_key": "x"}}, "use store_key"),
    ],
)
def test_settings_the_api_would_refuse_fail_the_dag_import(kwargs, message):
    """The service would refuse them only at the first file batch, after every upload."""
    from airflow_openai.operators.vector_stores import OpenAIVectorStoreIngestOperator

    with pytest.raises(ValueError, match=message):
        OpenAIVectorStoreIngestOperator(task_id="t", source="/docs/*.md", store_key="k", **kwargs)
