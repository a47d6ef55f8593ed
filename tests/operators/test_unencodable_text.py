"""A request the client refuses for text that is not UTF-8 fails the task without a retry, in every
operator (`OpenAIBaseOperator` guards `execute` and `execute_complete`), with the client's message."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_openai.operators.base import OpenAIBaseOperator
from tests.support.dag_runner import run_dag, task_states
from tests.support.task_instance import TaskInstanceStandIn

REFUSED = (
    r"tool_outputs\[0\]\.output holds a lone surrogate \(U\+D800 at character 7\), which is not UTF-8 "
    r"text; the request was not sent\. The task fails without a retry"
)


def _tries(dag_run, task_id):
    from airflow.utils.session import create_session

    with create_session() as session:
        (ti,) = [ti for ti in dag_run.get_task_instances(session=session) if ti.task_id == task_id]
        return ti.try_number


class TitledStore(OpenAIBaseOperator):
    """A DAG author's own operator on the provider's base: a store titled from data read at run
    time, decoded as Python decodes file names (`surrogateescape`), so a bad byte is a lone surrogate."""

    def execute(self, context):
        title = b"caf\xe9 notes".decode("utf-8", "surrogateescape")
        return self.hook.create_vector_store(name="docs", metadata={"title": title}).id


def test_text_that_is_not_utf8_fails_the_task_once_without_retry(airflow_db, emu, emu_hook, new_dag, capsys):
    with new_dag() as dag:
        TitledStore(task_id="store", retries=1, retry_delay=timedelta(0))
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"store": "failed"}
    assert _tries(dag_run, "store") == 1, "failed on the first try, not retried"
    assert emu.requests("/v1/vector_stores", "POST") == 0 and list(emu_hook.list_vector_stores()) == []
    log = capsys.readouterr().out
    assert "POST /vector_stores: metadata.title holds a lone surrogate (U+DCE9 at character 4)" in log
    assert "The task fails without a retry" in log and "UnicodeEncodeError" not in log


def test_a_file_name_that_is_not_utf8_fails_the_upload_before_any_file_is_sent(
    airflow_db, emu, emu_hook, new_dag, capsys, tmp_path
):
    from airflow_openai.operators.files import OpenAIUploadFileOperator

    line = b'{"custom_id": "a", "body": {"model": "m", "messages": [{"role": "user", "content": "hi"}]}}\n'
    (tmp_path / "good.jsonl").write_bytes(line)
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.jsonl"), "wb") as named_in_latin1:
        named_in_latin1.write(line)
    with new_dag() as dag:
        OpenAIUploadFileOperator(
            task_id="upload",
            source=f"{tmp_path}/*.jsonl",
            purpose="batch",
            retries=1,
            retry_delay=timedelta(0),
        )
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {"upload": "failed"}
    assert _tries(dag_run, "upload") == 1, "failed on the first try, not retried"
    assert emu.requests("/v1/files", "POST") == 0 and list(emu_hook.list_files()) == [], "not even good.jsonl"
    log = capsys.readouterr().out
    assert "caf\\udce9.jsonl: the file name holds a lone surrogate (U+DCE9 at character 4)" in log


def test_the_guard_turns_a_refused_tool_output_into_a_failure_with_the_same_message(emu, emu_hook):
    """Deferred, tool calls are answered in `execute_complete`: guarded as `execute` is."""
    from airflow_openai.operators.runs import OpenAIAssistantRunOperator

    op = OpenAIAssistantRunOperator(task_id="ask", assistant_id="asst_1", messages="hi")

    def finish(context, event, resume):
        op.hook.submit_tool_outputs("thread_1", "run_1", [{"tool_call_id": "c", "output": "status\ud800"}])

    op.finish = finish  # type: ignore[method-assign]
    event = {"status": "action", "ref": {"ids": ["run_1"], "thread_id": "thread_1"}}
    with pytest.raises(AirflowFailException, match=REFUSED):
        op.execute_complete({"ti": TaskInstanceStandIn("ask")}, event)

    assert emu.requests("*", method="*") == 0


def test_a_store_name_that_is_not_utf8_fails_before_the_store_is_made(emu, emu_hook, tmp_path):
    from airflow_openai.operators.vector_stores import OpenAIVectorStoreIngestOperator

    (tmp_path / "a.md").write_text("alpha")
    op = OpenAIVectorStoreIngestOperator(
        task_id="ingest", source=str(tmp_path / "*.md"), store_key="k", store_name="docs \udc80"
    )
    with pytest.raises(AirflowFailException, match=r"POST /vector_stores: name holds a lone surrogate"):
        op.execute({"ti": TaskInstanceStandIn("ingest")})

    assert list(emu_hook.list_vector_stores()) == []
    assert emu.requests("/v1/vector_stores", "POST") == 0


def test_every_operator_of_the_provider_is_guarded():
    from airflow_openai.operators import base
    from airflow_openai.operators.admin import (
        OpenAIAuditLogsToStorageOperator,
        OpenAIOrganizationSnapshotOperator,
    )
    from airflow_openai.operators.batch import OpenAIBatchOperator
    from airflow_openai.operators.files import (
        OpenAIDeleteFilesOperator,
        OpenAIDownloadFileOperator,
        OpenAIUploadFileOperator,
    )
    from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator
    from airflow_openai.operators.runs import OpenAIAssistantRunOperator
    from airflow_openai.operators.vector_stores import OpenAIVectorStoreIngestOperator

    operators = (
        OpenAIAuditLogsToStorageOperator,
        OpenAIOrganizationSnapshotOperator,
        OpenAIBatchOperator,
        OpenAIDeleteFilesOperator,
        OpenAIDownloadFileOperator,
        OpenAIUploadFileOperator,
        OpenAIFineTuningJobOperator,
        OpenAIAssistantRunOperator,
        OpenAIVectorStoreIngestOperator,
    )
    for operator in operators:
        for name in base.GUARDED_METHODS:
            method = getattr(operator, name, None)
            if method is not None:
                assert getattr(method, "_fails_unsendable_text", False), f"{operator.__name__}.{name}"


def test_a_subclass_of_a_subclass_is_guarded_once(emu):
    from airflow_openai.client import UnencodableTextError
    from airflow_openai.operators.base import OpenAIBaseOperator

    class Sends(OpenAIBaseOperator):
        def execute(self, context):
            raise UnencodableTextError("POST /x", "metadata.a", "holds a lone surrogate")

    class SendsMore(Sends):
        def execute(self, context):
            return super().execute(context)

    with pytest.raises(AirflowFailException) as failed:
        SendsMore(task_id="t").execute({})

    assert str(failed.value).count("The task fails without a retry") == 1
    assert isinstance(failed.value.__cause__, UnencodableTextError)
