"""`LineageMixin` without a DAG: what each of the three OpenLineage methods answers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from airflow_openai.lineage import RemoteObject, TaskReport
from airflow_openai.operators.lineage import LineageMixin

pytest.importorskip("airflow.providers.openlineage")


class Stand(LineageMixin):
    """An operator as the mixin sees it: a hook with settings, a plan from its parameters."""

    def __init__(self, base_url: str | None) -> None:
        if base_url is not None:
            self.hook = SimpleNamespace(settings=SimpleNamespace(base_url=base_url))

    def lineage_plan(self) -> TaskReport:
        return TaskReport(inputs=["/data/in.jsonl"], facts={"model": "gpt-4o-mini"})


def names(datasets):
    return [(d.namespace, d.name) for d in datasets]


def test_failure_keeps_the_plan_what_the_run_reported_and_the_error():
    op = Stand("http://127.0.0.1:9/v1")
    op.openai_report = TaskReport(
        outputs=["/data/out.jsonl"],
        remote_outputs=[RemoteObject("file", "file-1")],
        facts={"batch_ids": ["batch_1"]},
        tokens={"prompt": 3, "completion": 4},
        created={"batches": 1},
    )
    op.openai_error = "AirflowException: the outlet could not be written"
    lineage = op.get_openlineage_facets_on_failure(task_instance=None)

    assert names(lineage.inputs) == [("file", "/data/in.jsonl")]
    assert names(lineage.outputs) == [("file", "/data/out.jsonl"), ("openai://127.0.0.1:9/v1", "file/file-1")]
    facet = lineage.run_facets["openai_run"]
    assert (facet.model, facet.batch_ids, facet.created) == ("gpt-4o-mini", ["batch_1"], {"batches": 1})
    assert facet.usage == {"prompt_tokens": 3, "completion_tokens": 4}
    assert facet.error == "AirflowException: the outlet could not be written"


def test_start_and_complete_tell_no_error_and_an_unreadable_connection_does_not_raise():
    op = Stand(None)  # `self.hook` raises: the connection cannot be read
    start = op.get_openlineage_facets_on_start()
    assert (
        names(start.inputs) == [("file", "/data/in.jsonl")] and start.run_facets["openai_run"].error is None
    )
    op.openai_report = TaskReport(outputs=["s3://bucket/out.jsonl"])
    complete = op.get_openlineage_facets_on_complete(task_instance=None)
    assert names(complete.inputs) == [] and names(complete.outputs) == [("s3://bucket", "out.jsonl")]
    assert (
        op.get_openlineage_facets_on_failure(task_instance=None).run_facets["openai_run"].error
        == "the task failed"
    )
