"""What a new user meets, each case ending with the remote objects counted on the emulator: the
files in the account, the files of each store, and the stores, as one clean run leaves them.

- a file another store also holds is detached, not deleted (`kept_shared`);
- a file that failed for good fails no later run (`failed_before`);
- an expired store is replaced, and its uploads and itself deleted once the new one is complete;
- hidden files are skipped, counted and logged (`include_hidden=True` takes them).
"""

from __future__ import annotations

import pytest

from tests.support.task_instance import TaskInstanceStandIn


@pytest.fixture(autouse=True)
def fast_processing(emu):
    emu.set_speed(600)


def _folder(tmp_path, files):
    docs = tmp_path / "docs"
    for name, text in files.items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(text)
    return docs


def _ingest(source, **kwargs):
    from airflow_openai.operators.vector_stores import OpenAIVectorStoreIngestOperator

    kwargs.setdefault("store_key", "handbook")
    return OpenAIVectorStoreIngestOperator(task_id="ingest", source=source, poll_interval=0.1, **kwargs)


def _run(op):
    return op.execute({"ti": TaskInstanceStandIn("ingest")})


def _uploads(emu):
    return emu.requests("/v1/files", "POST") + emu.requests("/v1/uploads", "POST")


def _account(emu_hook):
    """file id → name, for every file in the account."""
    return {f.id: f.filename for f in emu_hook.list_files()}


def _held(emu_hook, store_id):
    """The paths a store holds (by the names of its files, "?" for a file deleted under it), with status."""
    names = _account(emu_hook)
    return sorted(
        (str(names.get(f.id, "?")).rsplit("~", 1)[-1], f.status)
        for f in emu_hook.list_vector_store_files(store_id)
    )


def _stores(emu_hook):
    return sorted(store.id for store in emu_hook.list_vector_stores())


def _wait_indexed(emu_hook, store_id):
    import time

    deadline = time.monotonic() + 30
    while emu_hook.get_vector_store(store_id).file_counts.in_progress and time.monotonic() < deadline:
        time.sleep(0.05)


# -- 1. a file another store uses is detached, not deleted ------------------------------------------------


def test_a_file_another_store_holds_is_detached_and_kept_not_deleted(emu, emu_hook, tmp_path, capsys):
    docs = _folder(tmp_path, {"a.md": "alpha", "gone.md": "going", "changed.md": "first edition"})
    store_a = _run(_ingest(str(docs / "*.md")))["vector_store_id"]
    first = {name.rsplit("~", 1)[1]: file_id for file_id, name in _account(emu_hook).items()}
    store_b = emu_hook.create_vector_store(name="b").id  # someone reuses A's uploads, by file id
    _run(_ingest([first["gone.md"], first["changed.md"]], store_key=None, vector_store_id=store_b))
    requests_before = emu.requests("/v1/vector_stores", "GET")

    (docs / "gone.md").unlink()
    (docs / "changed.md").write_text("second edition")
    result = _run(_ingest(str(docs / "*.md")))
    listings = emu.requests("/v1/vector_stores", "GET") - requests_before

    assert (result["removed"], result["replaced"], result["unchanged"]) == (1, 1, 1)
    assert sorted((k["file"], k["file_id"], k["stores"]) for k in result["kept_shared"]) == [
        ("changed.md", first["changed.md"], [store_b]),
        ("gone.md", first["gone.md"], [store_b]),
    ]
    logged = capsys.readouterr().out
    assert f"Kept gone.md ({first['gone.md']}): vector store {store_b} still uses it" in logged
    assert "2 kept for other stores" in logged
    # Store A holds what one clean run over the folder makes; B keeps both files, with their content.
    assert _held(emu_hook, store_a) == [("a.md", "completed"), ("changed.md", "completed")]
    assert _held(emu_hook, store_b) == [("changed.md", "completed"), ("gone.md", "completed")]
    account = _account(emu_hook)
    assert len(account) == 2 + 2, "A's two current uploads, and the two B still uses"
    assert first["gone.md"] in account and first["changed.md"] in account
    assert _stores(emu_hook) == sorted([store_a, store_b])
    assert listings == 2, "the store key's listing, and one to ask who holds the files to delete"


def test_an_upload_no_other_store_holds_is_deleted_and_nobody_is_asked_when_nothing_goes(
    emu, emu_hook, tmp_path
):
    docs = _folder(tmp_path, {"a.md": "alpha", "gone.md": "going"})
    store_a = _run(_ingest(str(docs / "*.md")))["vector_store_id"]
    emu_hook.create_vector_store(name="unrelated")
    listings = emu.requests("/v1/vector_stores", "GET")
    again = _run(_ingest(str(docs / "*.md")))
    assert again["kept_shared"] == [] and emu.requests("/v1/vector_stores", "GET") - listings == 1

    (docs / "gone.md").unlink()
    result = _run(_ingest(str(docs / "*.md")))
    assert result["removed"] == 1 and result["kept_shared"] == []
    assert _held(emu_hook, store_a) == [("a.md", "completed")] and len(_account(emu_hook)) == 1


# -- 2. a file that failed for good fails no later run ---------------------------------------------------


def test_an_empty_file_counts_against_the_first_run_only(emu, emu_hook, tmp_path, capsys):
    from airflow.sdk.exceptions import AirflowFailException

    docs = _folder(tmp_path, {"a.md": "alpha", "b.md": "beta", "empty.md": ""})
    with pytest.raises(AirflowFailException, match=r"1 of 3 files failed to process.*empty.md: invalid_file"):
        _run(_ingest(str(docs / "*.md")))  # the default max_failed_fraction=0: a new failure counts
    uploads, batches = _uploads(emu), emu.requests("/v1/vector_stores/*/file_batches", "POST")

    second = _run(_ingest(str(docs / "*.md")))  # the folder did not change: nothing is sent, nothing fails
    assert second["failed"] == [] and second["unchanged"] == 2
    assert [(f["file"], f["file_id"], f["code"]) for f in second["failed_before"]] == [
        ("empty.md", None, "invalid_file")
    ]
    assert "empty.md (None) failed before, and was not tried again" in capsys.readouterr().out
    assert (
        _uploads(emu) == uploads == 2 and emu.requests("/v1/vector_stores/*/file_batches", "POST") == batches
    )
    store_id = second["vector_store_id"]
    assert _held(emu_hook, store_id) == [("a.md", "completed"), ("b.md", "completed")]
    assert len(_account(emu_hook)) == 2 and _stores(emu_hook) == [store_id]

    (docs / "also-empty.md").write_text("")  # a new refusal counts again
    with pytest.raises(AirflowFailException, match=r"1 of 1 files failed to process.*also-empty.md"):
        _run(_ingest(str(docs / "*.md")))
    (docs / "also-empty.md").unlink()
    (docs / "empty.md").write_text("filled at last")  # a new version is tried, and the memory is let go
    third = _run(_ingest(str(docs / "*.md")))
    assert (third["added"], third["failed"], third["failed_before"]) == (1, [], [])
    assert "airflow_refused" not in (emu_hook.get_vector_store(store_id).metadata or {})
    assert len(_held(emu_hook, store_id)) == 3 and len(_account(emu_hook)) == 3


# -- 3. an expired store is replaced, and what was its own is deleted --------------------------------------


def test_an_expired_store_is_replaced_and_its_uploads_deleted_once_the_new_one_is_complete(
    emu, emu_hook, tmp_path, capsys
):
    docs = _folder(tmp_path, {"a.md": "alpha", "b.md": "beta", "c.md": "gamma"})
    expiring = {"anchor": "last_active_at", "days": 1}
    old = _run(_ingest(str(docs / "*.md"), expires_after=expiring))["vector_store_id"]
    old_files = {name.rsplit("~", 1)[1]: file_id for file_id, name in _account(emu_hook).items()}
    elsewhere = emu_hook.create_vector_store(name="elsewhere").id  # uses one of the old uploads
    emu_hook.create_vector_store_file(elsewhere, old_files["c.md"])
    _wait_indexed(emu_hook, elsewhere)
    emu.advance(2 * 86400)
    assert emu_hook.get_vector_store(old).status == "expired"

    result = _run(_ingest(str(docs / "*.md"), expires_after=expiring))

    new = result["vector_store_id"]
    assert new != old and (result["added"], result["uploaded"], result["failed"]) == (3, 3, [])
    assert result["kept_shared"] == [{"file": "c.md", "file_id": old_files["c.md"], "stores": [elsewhere]}]
    logged = capsys.readouterr().out
    assert f"Vector store {old} (handbook) holding store key 'handbook' expired on" in logged
    assert "after 1 day without activity (expires_after)" in logged
    assert f"Replaced expired vector store {old} with {new}: deleted 2 of its uploads" in logged
    # As one clean run leaves things: one store with the key, holding the folder, and its uploads.
    assert _stores(emu_hook) == sorted([new, elsewhere])
    assert _held(emu_hook, new) == [("a.md", "completed"), ("b.md", "completed"), ("c.md", "completed")]
    account = _account(emu_hook)
    assert len(account) == 3 + 1, "the new store's uploads, and the old one another store uses"
    assert old_files["c.md"] in account and old_files["a.md"] not in account

    again = _run(_ingest(str(docs / "*.md"), expires_after=expiring))
    assert again["vector_store_id"] == new and again["uploaded"] == 0 and again["kept_shared"] == []


def test_a_given_store_that_expired_is_refused_before_anything_is_uploaded(emu, emu_hook, tmp_path):
    from airflow.sdk.exceptions import AirflowFailException

    docs = _folder(tmp_path, {"a.md": "alpha"})
    store = emu_hook.create_vector_store(name="old", expires_after={"anchor": "last_active_at", "days": 1})
    emu.advance(2 * 86400)
    with pytest.raises(
        AirflowFailException, match=r"expired on .* and can no longer be used.*nothing was uploaded"
    ):
        _run(_ingest(str(docs / "*.md"), store_key=None, vector_store_id=store.id, mode="sync"))
    assert _uploads(emu) == 0 and len(_account(emu_hook)) == 0 and _stores(emu_hook) == [store.id]


# -- 4. hidden files ---------------------------------------------------------------------------------------


def test_hidden_files_are_skipped_and_counted_and_include_hidden_takes_them(emu, emu_hook, tmp_path, capsys):
    docs = _folder(
        tmp_path,
        {
            "a.md": "alpha",
            "sub/b.md": "beta",
            ".notes.md": "n",
            ".github/guide.md": "g",
            "sub/.draft.md": "d",
        },
    )
    result = _run(_ingest(f"{docs}/**/*"))
    assert result["hidden_skipped"] == 3 and result["added"] == 2
    logged = capsys.readouterr().out
    assert (
        "Skipped 3 hidden files (a name starting with a dot, which a glob leaves out; include_hidden=True "
        "takes them): .github/guide.md, .notes.md, sub/.draft.md"
    ) in logged
    assert _held(emu_hook, result["vector_store_id"]) == [("a.md", "completed"), ("sub%2Fb.md", "completed")]
    assert len(_account(emu_hook)) == 2 and _stores(emu_hook) == [result["vector_store_id"]]

    everything = _run(_ingest(f"{docs}/**/*", store_key="everything", include_hidden=True))
    assert everything["hidden_skipped"] == 0 and everything["added"] == 5
    assert "Took 3 hidden files" in capsys.readouterr().out
    assert [name for name, _ in _held(emu_hook, everything["vector_store_id"])] == [
        ".github%2Fguide.md",
        ".notes.md",
        "a.md",
        "sub%2F.draft.md",
        "sub%2Fb.md",
    ]
    assert len(_account(emu_hook)) == 2 + 5 and len(_stores(emu_hook)) == 2


def test_a_source_of_hidden_files_only_says_so(emu, emu_hook, tmp_path):
    from airflow.sdk.exceptions import AirflowFailException

    docs = _folder(tmp_path, {".only.md": "hidden"})
    with pytest.raises(
        AirflowFailException, match=r"no file matches .* but 1 hidden files \(include_hidden=True"
    ):
        _run(_ingest(str(docs / "*.md")))
    assert _stores(emu_hook) == [] and _uploads(emu) == 0


# -- text sent to the API ----------------------------------------------------------------------------------


def test_a_file_name_that_is_not_utf8_syncs_under_an_ascii_name(emu, emu_hook, tmp_path):
    """Python reads such a name with lone surrogates, which no request may carry: the upload name
    percent-encodes its bytes, and the next run finds the file unchanged."""
    import os

    docs = _folder(tmp_path, {"a.md": "alpha"})
    with open(os.path.join(os.fsencode(docs), b"caf\xe9.md"), "wb") as stream:
        stream.write(b"latin-1 name")
    first = _run(_ingest(str(docs / "*.md")))
    assert (first["added"], first["failed"]) == (2, [])
    assert sorted(name.rsplit("~", 1)[1] for name in _account(emu_hook).values()) == ["a.md", "caf%E9.md"]
    again = _run(_ingest(str(docs / "*.md")))
    assert (again["unchanged"], again["uploaded"]) == (2, 0)
    assert len(_held(emu_hook, first["vector_store_id"])) == 2 and len(_account(emu_hook)) == 2
