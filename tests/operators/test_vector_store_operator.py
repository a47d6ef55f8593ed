"""OpenAIVectorStoreIngestOperator against the emulator over loopback, counting what each run sent:
uploads, file batches, detaches and deletes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.dag_runner import run_dag, task_states, xcom_value
from tests.support.task_instance import TaskInstanceStandIn


@pytest.fixture(autouse=True)
def fast_processing(emu):
    emu.set_speed(600)


class Store(dict):
    """The task state store of one task instance, across its tries."""

    def set(self, key, value):
        self[key] = value


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


def _run(op, store=None):
    context = {"ti": TaskInstanceStandIn("ingest")}
    if store is not None:
        context["task_state_store"] = store
    return op.execute(context)


def _uploads(emu):
    return emu.requests("/v1/files", "POST") + emu.requests("/v1/uploads", "POST")


def _store_files(hook, store_id):
    names = {f.id: f.filename for f in hook.list_files()}
    return {names.get(f.id): f.status for f in hook.list_vector_store_files(store_id)}


def test_a_folder_becomes_a_store_and_an_unchanged_second_run_does_nothing(emu, emu_hook, tmp_path):
    docs = _folder(tmp_path, {"a.md": "alpha", "b.md": "beta", "guides/c.txt": "gamma"})

    first = _run(_ingest(f"{docs}/**/*"))
    store_id = first["vector_store_id"]
    assert (first["added"], first["replaced"], first["removed"], first["unchanged"]) == (3, 0, 0, 0)
    assert first["failed"] == [] and first["uploaded"] == 3 and first["usage_bytes"] > 0
    assert first["file_counts"]["completed"] == 3
    names = sorted(name.rsplit("~", 1)[1] for name in _store_files(emu_hook, store_id))
    assert names == ["a.md", "b.md", "guides%2Fc.txt"]
    (store,) = list(emu_hook.list_vector_stores())
    assert store.metadata["airflow_store_key"] == "handbook" and store.name == "handbook"

    uploads, batches = _uploads(emu), emu.requests("/v1/vector_stores/*/file_batches", "POST")
    second = _run(_ingest(f"{docs}/**/*"))
    assert second["vector_store_id"] == store_id, "found again by its store key"
    assert (second["added"], second["replaced"], second["removed"], second["unchanged"]) == (0, 0, 0, 3)
    assert _uploads(emu) == uploads and emu.requests("/v1/vector_stores/*/file_batches", "POST") == batches
    assert len(list(emu_hook.list_vector_stores())) == 1


def test_one_changed_one_removed_one_added(emu, emu_hook, tmp_path):
    docs = _folder(tmp_path, {"a.md": "alpha", "b.md": "beta", "c.md": "gamma"})
    store_id = _run(_ingest(str(docs / "*.md")))["vector_store_id"]
    old_files = {f.filename: f.id for f in emu_hook.list_files()}
    uploads = _uploads(emu)

    (docs / "a.md").write_text("alpha, edited")
    (docs / "b.md").unlink()
    (docs / "d.md").write_text("delta")
    result = _run(_ingest(str(docs / "*.md")))

    assert (result["added"], result["replaced"], result["removed"], result["unchanged"]) == (1, 1, 1, 1)
    assert _uploads(emu) - uploads == 2, "the new version of a.md and d.md, nothing else"
    held = _store_files(emu_hook, store_id)
    assert sorted(name.rsplit("~", 1)[1] for name in held) == ["a.md", "c.md", "d.md"]
    assert set(held.values()) == {"completed"}
    remaining = {f.id for f in emu_hook.list_files()}
    replaced_a = next(file_id for name, file_id in old_files.items() if name.endswith("~a.md"))
    removed_b = next(file_id for name, file_id in old_files.items() if name.endswith("~b.md"))
    assert replaced_a not in remaining and removed_b not in remaining, (
        "old versions are deleted, not left behind"
    )


def test_append_mode_adds_and_never_removes(emu, emu_hook, tmp_path):
    docs = _folder(tmp_path, {"a.md": "alpha", "b.md": "beta"})
    store = emu_hook.create_vector_store(name="mine")
    _run(_ingest(str(docs / "*.md"), store_key=None, vector_store_id=store.id))
    (docs / "b.md").unlink()
    (docs / "c.md").write_text("gamma")
    result = _run(_ingest(str(docs / "*.md"), store_key=None, vector_store_id=store.id))
    assert (result["added"], result["removed"]) == (1, 0)
    assert len(_store_files(emu_hook, store.id)) == 3


def test_an_unsupported_file_is_reported_with_its_reason(emu, emu_hook, tmp_path):
    from airflow.sdk.exceptions import AirflowFailException

    docs = _folder(tmp_path, {"a.md": "alpha", "data.xyz": "who knows", "b.md": "beta", "c.md": "gamma"})
    result = _run(_ingest(str(docs / "*"), max_failed_fraction=0.5))
    (failure,) = result["failed"]
    assert failure["file"] == "data.xyz" and failure["code"] == "unsupported_file" and failure["message"]
    assert result["added"] == 4 and result["file_counts"]["completed"] == 3

    batches = emu.requests("/v1/vector_stores/*/file_batches", "POST")
    again = _run(_ingest(str(docs / "*"), max_failed_fraction=0.0))  # failed for good: not tried again
    assert again["failed"] == [] and again["unchanged"] == 3
    assert [(f["file"], f["code"]) for f in again["failed_before"]] == [("data.xyz", "unsupported_file")]
    assert emu.requests("/v1/vector_stores/*/file_batches", "POST") == batches

    with pytest.raises(
        AirflowFailException, match=r"1 of 4 files failed to process.*data.xyz: unsupported_file"
    ):
        _run(_ingest(str(docs / "*"), store_key="another", max_failed_fraction=0.0))


def test_an_empty_file_is_reported_not_a_reason_to_stop(emu, emu_hook, tmp_path):
    docs = _folder(tmp_path, {"a.md": "alpha", "empty.md": "", "b.md": "beta"})
    result = _run(_ingest(str(docs / "*.md"), max_failed_fraction=0.5))
    (failure,) = result["failed"]
    assert (failure["file"], failure["code"]) == ("empty.md", "invalid_file") and "empty" in failure[
        "message"
    ]
    assert result["file_counts"]["completed"] == 2 and _uploads(emu) == 2


def test_a_file_that_fails_once_is_attached_again_and_completes(emu, emu_hook, tmp_path):
    docs = _folder(tmp_path, {"a.md": "alpha", "b.md": "beta"})
    emu.fail_vector_store_file(filename=None, code="server_error", message="a hiccup")  # the next attachment
    result = _run(_ingest(str(docs / "*.md")))
    assert result["failed"] == [] and result["file_counts"]["completed"] == 2
    assert emu.requests("/v1/vector_stores/*/file_batches", "POST") == 2, "one batch, then one retry"


def test_1200_files_go_in_three_file_batches(emu, emu_hook, tmp_path):
    docs = _folder(tmp_path, {f"doc-{n:04}.txt": f"document {n}" for n in range(1200)})
    result = _run(_ingest(str(docs / "*.txt"), upload_concurrency=16))
    assert result["added"] == 1200 and result["file_counts"]["completed"] == 1200
    assert emu.requests("/v1/vector_stores/*/file_batches", "POST") == 3


def test_file_ids_are_attached_as_they_are(emu, emu_hook, tmp_path):
    import io

    ids = [emu_hook.create_file(io.BytesIO(b"text %d" % n), "assistants", f"f{n}.md").id for n in range(3)]
    store = emu_hook.create_vector_store(name="ids")
    result = _run(_ingest(ids, store_key=None, vector_store_id=store.id))
    assert result["added"] == 3 and _uploads(emu) == 3
    again = _run(_ingest(ids, store_key=None, vector_store_id=store.id))
    assert again["unchanged"] == 3 and emu.requests("/v1/vector_stores/*/file_batches", "POST") == 1


def test_a_killed_task_cancels_its_file_batch(emu, emu_hook, tmp_path):
    from tests.support.worker import waiting_in_a_worker

    emu.set_speed(1)
    docs = _folder(tmp_path, {f"doc-{n}.md": "x" * 50_000 for n in range(30)})
    op = _ingest(str(docs / "*.md"))
    worker, outcome, store_id = waiting_in_a_worker(op, key="vector_store_id")
    deadline = __import__("time").monotonic() + 30
    while op._ref is None and __import__("time").monotonic() < deadline:
        __import__("time").sleep(0.05)
    (batch_id,) = op._ref["ids"]
    op.on_kill()
    emu.set_speed(600)
    worker.join(30)

    assert emu_hook.get_vector_store_file_batch(store_id, batch_id).status in ("cancelling", "cancelled")
    assert "error" in outcome


@pytest.mark.parametrize("deferrable", [False, True])
def test_a_retried_task_reattaches_to_its_file_batch(
    airflow_db, emu, emu_hook, new_dag, tmp_path, deferrable
):
    from airflow_openai.operators.vector_stores import OpenAIVectorStoreIngestOperator

    docs = _folder(tmp_path, {f"doc-{n}.md": f"document {n}" for n in range(20)})
    emu.fault("/v1/vector_stores/*/file_batches/*", method="GET", status=400, count=1)  # dies while waiting
    with new_dag() as dag:
        OpenAIVectorStoreIngestOperator(
            task_id="ingest",
            source=str(docs / "*.md"),
            store_key="retry",
            retries=1,
            retry_delay=timedelta(0),
            poll_interval=0.1,
            deferrable=deferrable,
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"ingest": "success"}
    result = xcom_value(dag_run, "ingest")
    assert result["added"] == 20 and result["file_counts"]["completed"] == 20
    assert _uploads(emu) == 20, "nothing uploaded twice"
    assert emu.requests("/v1/vector_stores/*/file_batches", "POST") == 1, "the retry reattached"
    assert xcom_value(dag_run, "ingest", key="vector_store_id") == result["vector_store_id"]
    link = xcom_value(dag_run, "ingest", key="_link_OpenAIVectorStoreLink")
    assert link == f"{emu.dashboard_url}/storage/vector_stores/{result['vector_store_id']}"


def test_a_source_that_matches_nothing_changes_nothing(emu, emu_hook, tmp_path):
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match="no file matches"):
        _run(_ingest(str(tmp_path / "nothing" / "*.md")))
    assert list(emu_hook.list_vector_stores()) == [] and _uploads(emu) == 0


@pytest.mark.parametrize("deferrable", [False, True])
def test_a_batch_whose_every_file_failed_does_not_stop_the_others(emu, emu_hook, tmp_path, deferrable):
    """600 files make two batches; every file of the second fails once. Its batch ends `failed`
    while the first is still going: the sync waits for the first, attaches the failed ones once
    more, and they complete."""
    import hashlib

    from airflow.sdk.exceptions import TaskDeferred

    from airflow_openai.vector_stores.naming import ingested_name, store_tag

    texts = {f"doc-{n:04}.txt": f"document {n}" for n in range(600)}
    docs = _folder(tmp_path, texts)
    store_id = emu_hook.create_vector_store(name="two batches").id
    for name in sorted(texts)[500:]:
        digest = hashlib.sha256(texts[name].encode()).hexdigest()
        emu.fail_vector_store_file(filename=ingested_name(name, digest, store_tag(store_id)))
    op = _ingest(
        str(docs / "*.txt"),
        store_key=None,
        vector_store_id=store_id,
        mode="sync",
        upload_concurrency=16,
        deferrable=deferrable,
    )
    store = Store()
    context = {"ti": TaskInstanceStandIn("ingest"), "task_state_store": store}
    if not deferrable:
        result = op.execute(context)
    else:
        import asyncio

        async def first(trigger):
            async for event in trigger.run():
                return event.payload

        call, kwargs = op.execute, {}
        while True:
            try:
                result = call(context, **kwargs)
                break
            except TaskDeferred as deferred:
                kwargs = {"event": asyncio.run(first(deferred.trigger)), **(deferred.kwargs or {})}
                call = getattr(op, deferred.method_name)
    assert result["failed"] == [] and result["added"] == 600
    assert result["file_counts"]["completed"] == 600


def test_a_file_changed_during_the_wait_is_synced_and_no_document_goes_missing(emu, emu_hook, tmp_path):
    """The source changes while the task is deferred: after the wait the new content is uploaded
    and attached, and the old version is removed only once the new one is indexed."""
    import asyncio

    from airflow.sdk.exceptions import TaskDeferred

    docs = _folder(tmp_path, {"a.md": "alpha", "b.md": "beta"})
    first = _run(_ingest(str(docs / "*.md")))
    (docs / "a.md").write_text("alpha, second edition")
    op = _ingest(str(docs / "*.md"), deferrable=True)
    context = {"ti": TaskInstanceStandIn("ingest"), "task_state_store": Store()}
    (docs / "b.md").write_text("beta, second edition")
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    (docs / "a.md").write_text("alpha, third edition")  # changed again while the batch processes

    async def first_event(trigger):
        async for event in trigger.run():
            return event.payload

    call, kwargs, result = (
        op.execute_complete,
        {"event": asyncio.run(first_event(deferred.value.trigger))},
        None,
    )
    while result is None:
        try:
            result = call(context, **kwargs)
        except TaskDeferred as again:
            kwargs = {"event": asyncio.run(first_event(again.trigger))}
    held = _store_files(emu_hook, first["vector_store_id"])
    assert sorted(name.rsplit("~", 1)[1] for name in held) == ["a.md", "b.md"]
    assert set(held.values()) == {"completed"} and result["failed"] == []
    import hashlib

    for name, text in (("a.md", "alpha, third edition"), ("b.md", "beta, second edition")):
        prefix = hashlib.sha256(text.encode()).hexdigest()[:16]
        assert any(n.startswith(prefix) and n.endswith(name) for n in held), name


def test_after_its_batch_was_cancelled_the_next_try_plans_afresh(emu, emu_hook, tmp_path):
    from airflow.sdk.exceptions import AirflowException

    from tests.support.worker import waiting_in_a_worker

    emu.set_speed(1)
    docs = _folder(tmp_path, {f"doc-{n}.md": "x" * 50_000 for n in range(20)})
    store = Store()
    op = _ingest(str(docs / "*.md"))
    worker, outcome, store_id = waiting_in_a_worker(
        op, key="vector_store_id", context={"task_state_store": store}
    )
    deadline = __import__("time").monotonic() + 30
    while op._ref is None and __import__("time").monotonic() < deadline:
        __import__("time").sleep(0.05)
    emu_hook.cancel_vector_store_file_batch(store_id, op._ref["ids"][0])  # from the dashboard, say
    emu.set_speed(600)
    worker.join(30)
    assert isinstance(outcome.get("error"), AirflowException) and "cancel" in str(outcome["error"])

    retry = _run(_ingest(str(docs / "*.md")), store)
    assert retry["failed"] == [] and retry["file_counts"]["completed"] == 20
    assert _uploads(emu) == 20, "nothing uploaded twice"


def test_two_stores_fed_from_one_folder_never_share_or_delete_each_others_files(emu, emu_hook, tmp_path):
    docs = _folder(tmp_path, {"README.md": "same words", "b.md": "beta"})
    a = _run(_ingest(str(docs / "*.md"), store_key="a"))
    b = _run(_ingest(str(docs / "*.md"), store_key="b"))
    assert b["uploaded"] == 2, "store b uploads its own copies"
    (docs / "README.md").write_text("new words")
    _run(_ingest(str(docs / "*.md"), store_key="a"))  # replaces a's README, deletes a's old copy

    existing = {f.id for f in emu_hook.list_files()}
    b_files = [f.id for f in emu_hook.list_vector_store_files(b["vector_store_id"])]
    assert len(b_files) == 2 and all(file_id in existing for file_id in b_files)
    assert a["vector_store_id"] != b["vector_store_id"]
