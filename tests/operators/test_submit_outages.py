"""An outage during a submit step never repeats what already succeeded.

Each job kind's last create (the batch, the fine-tuning job, the file batch, the run) answers
503 ten times in a row, past the HTTP retries (five attempts a call here), so the step's outage
wait runs it again twice; or the outage outlasts the attempt's budget, and the next try goes on.
Either way the task ends, once the outage has passed, with exactly the remote objects one clean
run makes, counted on the emulator: what was made before the failing create is never made again.
"""

from __future__ import annotations

import pytest

from tests.support.fine_tuning import records
from tests.support.task_instance import TaskInstanceStandIn

OUTAGE = 10
"""503s in a row: two full calls of five attempts."""
FT_BASE = "gpt-4o-mini-2024-07-18"


class Store(dict):
    """The task state store of one task instance, across its tries."""

    def set(self, key, value):
        self[key] = value


@pytest.fixture
def fast_hook(emu):
    """A hook on the emulator whose HTTP retries (five attempts, no pause beyond the server's
    `Retry-After: 0`) and look-ups for a lost create take milliseconds, not seconds."""
    from airflow_openai.client.policy import RetryPolicy
    from airflow_openai.client.settings import ClientSettings
    from airflow_openai.hooks.openai import OpenAIHook

    policy = RetryPolicy(max_retries=4, initial_delay=0.01, max_delay=0.05, settle=(0.05, 0.1))
    settings = ClientSettings(api_key=emu.api_key, base_url=emu.base_url, source="emulator")
    with OpenAIHook(settings=settings, retry_policy=policy) as hook:
        yield hook


def _outage(emu, route):
    emu.fault(route, method="POST", status=503, count=OUTAGE, retry_after=0)


def _execute(op, hook, store, try_number=1):
    op.hook = hook  # the operator's own hook, on the emulator with fast retries
    ti = TaskInstanceStandIn(op.task_id)
    ti.try_number = try_number
    return op.execute({"ti": ti, "task_state_store": store})


# -- batches -------------------------------------------------------------------------------------------


def _batch(tmp_path, **kwargs):
    from airflow_openai.operators.batch import OpenAIBatchOperator

    return OpenAIBatchOperator(
        task_id="batch",
        prompts=[f"q{n}" for n in range(5)],
        model="gpt-4o-mini",
        poll_interval=0.2,
        output_path=str(tmp_path / "results.jsonl"),
        **kwargs,
    )


def test_a_batch_create_failing_through_an_outage_uploads_its_input_once(emu, emu_hook, fast_hook, tmp_path):
    _outage(emu, "/v1/batches")
    manifest = _execute(_batch(tmp_path), fast_hook, Store())

    assert manifest["succeeded"] == 5
    assert len(list(emu_hook.list_files(purpose="batch"))) == 1, "one input file"
    assert len(list(emu_hook.list_batches())) == 1, "one batch"


def test_a_retry_after_an_outage_longer_than_the_budget_uses_the_uploaded_input(
    emu, emu_hook, fast_hook, tmp_path
):
    from airflow_openai.outage import OutageExceeded

    store = Store()
    _outage(emu, "/v1/batches")
    with pytest.raises(OutageExceeded):
        _execute(_batch(tmp_path, outage_budget=0), fast_hook, store)
    assert len(list(emu_hook.list_files(purpose="batch"))) == 1 and list(emu_hook.list_batches()) == []

    manifest = _execute(_batch(tmp_path), fast_hook, store, try_number=2)
    assert manifest["succeeded"] == 5
    assert len(list(emu_hook.list_files(purpose="batch"))) == 1, "the next try used the recorded upload"
    assert len(list(emu_hook.list_batches())) == 1


def test_an_input_file_deleted_since_it_was_recorded_is_uploaded_again(emu, emu_hook, fast_hook, tmp_path):
    store = Store()
    _outage(emu, "/v1/batches")
    with pytest.raises(Exception, match="gave up"):
        _execute(_batch(tmp_path, outage_budget=0), fast_hook, store)
    (lost,) = emu_hook.list_files(purpose="batch")
    emu_hook.delete_file(lost.id)

    manifest = _execute(_batch(tmp_path), fast_hook, store, try_number=2)
    assert manifest["succeeded"] == 5
    (uploaded,) = emu_hook.list_files(purpose="batch")
    (batch,) = emu_hook.list_batches()
    assert batch.input_file_id == uploaded.id != lost.id


# -- fine-tuning jobs ----------------------------------------------------------------------------------


def _fine_tuning(**kwargs):
    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator

    return OpenAIFineTuningJobOperator(
        task_id="fine_tune",
        model=FT_BASE,
        training_file=records(12),
        validation_file=records(6, start=100),
        wait_for_completion=False,
        **kwargs,
    )


def test_a_job_create_failing_through_an_outage_uploads_its_data_once(emu, emu_hook, fast_hook):
    _outage(emu, "/v1/fine_tuning/jobs")
    result = _execute(_fine_tuning(), fast_hook, Store())

    files = list(emu_hook.list_files(purpose="fine-tune"))
    (job,) = emu_hook.list_fine_tuning_jobs()
    assert len(files) == 2, "the training and the validation data, once each"
    assert result["job_id"] == job.id and {job.training_file, job.validation_file} == {f.id for f in files}


def test_a_retry_after_a_long_outage_creates_the_job_on_the_recorded_uploads(emu, emu_hook, fast_hook):
    from airflow_openai.outage import OutageExceeded

    store = Store()
    _outage(emu, "/v1/fine_tuning/jobs")
    with pytest.raises(OutageExceeded):
        _execute(_fine_tuning(outage_budget=0), fast_hook, store)
    assert len(list(emu_hook.list_files(purpose="fine-tune"))) == 2
    assert list(emu_hook.list_fine_tuning_jobs()) == []

    result = _execute(_fine_tuning(), fast_hook, store, try_number=2)
    (job,) = emu_hook.list_fine_tuning_jobs()
    assert result["job_id"] == job.id
    assert len(list(emu_hook.list_files(purpose="fine-tune"))) == 2, "nothing uploaded again"


# -- vector stores ---------------------------------------------------------------------------------------


def test_a_file_batch_create_failing_through_an_outage_uploads_each_file_once(
    emu, emu_hook, fast_hook, tmp_path
):
    from airflow_openai.emulator.vector_stores.vector_store_lifecycle import BATCH
    from airflow_openai.operators.vector_stores import OpenAIVectorStoreIngestOperator

    emu.set_speed(600)
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("a.md", "b.md", "c.md"):
        (docs / name).write_text(f"the text of {name}")
    _outage(emu, "/v1/vector_stores/*/file_batches")
    op = OpenAIVectorStoreIngestOperator(
        task_id="ingest", source=f"{docs}/*.md", store_key="handbook", poll_interval=0.1
    )
    result = _execute(op, fast_hook, Store())

    assert result["added"] == 3 and result["failed"] == []
    (store,) = emu_hook.list_vector_stores()
    assert len(list(emu_hook.list_files(purpose="assistants"))) == 3, "each file uploaded once"
    assert len(list(emu_hook.list_vector_store_files(store.id))) == 3
    assert len(emu.state.store.all(BATCH)) == 1, "one file batch"


def test_uploads_failing_through_an_outage_are_not_made_again_by_the_next_try(
    emu, emu_hook, fast_hook, tmp_path
):
    """One upload at a time: the first two files each meet five 503s and fail, the third lands; the
    next try uploads the two that failed, and only those."""
    from airflow.sdk.exceptions import AirflowException

    from airflow_openai.emulator.vector_stores.vector_store_lifecycle import BATCH
    from airflow_openai.operators.vector_stores import OpenAIVectorStoreIngestOperator

    emu.set_speed(600)
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("a.md", "b.md", "c.md"):
        (docs / name).write_text(f"the text of {name}")
    store = Store()
    _outage(emu, "/v1/files")

    def ingest():
        return OpenAIVectorStoreIngestOperator(
            task_id="ingest",
            source=f"{docs}/*.md",
            store_key="handbook",
            poll_interval=0.1,
            upload_concurrency=1,
        )

    with pytest.raises(AirflowException, match="2 of 3 uploads failed"):
        _execute(ingest(), fast_hook, store)
    assert len(list(emu_hook.list_files(purpose="assistants"))) == 1
    result = _execute(ingest(), fast_hook, store, try_number=2)

    assert result["added"] == 3 and result["uploaded"] == 2
    assert len(list(emu_hook.list_files(purpose="assistants"))) == 3, "each file uploaded once"
    assert len(emu.state.store.all(BATCH)) == 1, "one file batch"


# -- assistant runs --------------------------------------------------------------------------------------


def _run_operator(assistant_id, **kwargs):
    from airflow_openai.operators.runs import OpenAIAssistantRunOperator

    return OpenAIAssistantRunOperator(
        task_id="ask", assistant_id=assistant_id, messages=["Hi", "What now?"], poll_interval=0.05, **kwargs
    )


@pytest.mark.parametrize("given_thread", [False, True], ids=["new thread", "given thread"])
def test_a_run_create_failing_through_an_outage_adds_the_messages_once(
    emu, emu_hook, fast_hook, given_thread
):
    from airflow_openai.emulator.assistants.thread_messages import RUN, THREAD

    emu.set_speed(60)
    assistant = emu_hook.create_assistant("gpt-4o-mini", name="support", instructions="Help.")
    thread_id = emu_hook.create_thread().id if given_thread else None
    _outage(emu, "/v1/threads/*/runs")
    result = _execute(_run_operator(assistant.id, thread_id=thread_id), fast_hook, Store())

    assert result["status"] == "completed"
    assert len(emu.state.store.all(THREAD)) == 1, "one thread"
    assert len(emu.state.store.all(RUN)) == 1, "one run"
    roles = [m.role for m in emu_hook.list_messages(result["thread_id"], order="asc")]
    assert roles == ["user", "user", "assistant"], "the messages once, and one answer"


def test_a_retry_on_a_given_thread_still_adds_the_messages_with_its_run(emu, emu_hook, fast_hook):
    """The thread is recorded before the run is created; a retry after the run create failed for
    good must still send the messages with its run, or the assistant answers nothing asked."""
    from airflow_openai.outage import OutageExceeded

    emu.set_speed(60)
    assistant = emu_hook.create_assistant("gpt-4o-mini", name="support", instructions="Help.")
    thread_id = emu_hook.create_thread().id
    store = Store()
    _outage(emu, "/v1/threads/*/runs")
    with pytest.raises(OutageExceeded):
        _execute(_run_operator(assistant.id, thread_id=thread_id, outage_budget=0), fast_hook, store)

    result = _execute(_run_operator(assistant.id, thread_id=thread_id), fast_hook, store, try_number=2)
    roles = [m.role for m in emu_hook.list_messages(thread_id, order="asc")]
    assert result["status"] == "completed" and roles == ["user", "user", "assistant"]
