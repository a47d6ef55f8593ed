"""OpenLineage for every operator of this provider, from its `TaskReport`.

The OpenLineage provider (`pip install 'airflow-provider-openai[openlineage]'`) calls the three
`get_openlineage_facets_on_*` methods of `LineageMixin`; without it they are never called and
nothing here is imported, so parsing a DAG costs what it did. Inputs and outputs are datasets
named by OpenLineage's conventions (`lineage.naming`); the run gets one custom facet, `openai_run`
(`OpenAIRunFacet`: what was created and spent, and the error on failure). No key or token is
ever in a facet: the report holds ids, paths, counts and model names, and the base URL is
stripped of any credentials.
"""

from __future__ import annotations

from typing import Any

from airflow_openai import __version__
from airflow_openai.lineage.naming import dataset_name, openai_namespace
from airflow_openai.lineage.report import TaskReport

FACET_NAME = "openai_run"
"""Custom facets are named `<prefix>_<name>`, as the OpenLineage spec asks."""
REPOSITORY = "https://github.com/airflow-provider-openai/airflow-provider-openai"
SCHEMA_URL = (
    f"https://raw.githubusercontent.com/airflow-provider-openai/airflow-provider-openai/v{__version__}/"
    "src/airflow_openai/lineage/OpenAIRunFacet.json#/$defs/OpenAIRunFacet"
)
"""Pinned to the release that wrote the facet: a schema URL must not change under old events."""
PRODUCER = f"{REPOSITORY}/tree/v{__version__}"


def _facet_class() -> Any:
    """`OpenAIRunFacet`, defined on first use: `attrs` and the OpenLineage client load only then."""
    global _FACET
    if _FACET is None:
        import attr
        from openlineage.client.facet_v2 import RunFacet

        @attr.define
        class OpenAIRunFacet(RunFacet):
            """What an airflow-provider-openai task created on the OpenAI API and what it spent."""

            operator: str = attr.field(default="")
            base_url: str = attr.field(default="")
            model: str | None = attr.field(default=None)
            batch_ids: list[str] = attr.field(factory=list)
            job_id: str | None = attr.field(default=None)
            fine_tuned_model: str | None = attr.field(default=None)
            run_id: str | None = attr.field(default=None)
            thread_id: str | None = attr.field(default=None)
            vector_store_id: str | None = attr.field(default=None)
            file_ids: list[str] = attr.field(factory=list)
            request_counts: dict[str, int] = attr.field(factory=dict)
            failures_by_reason: dict[str, int] = attr.field(factory=dict)
            usage: dict[str, int] = attr.field(factory=dict)
            created: dict[str, int] = attr.field(factory=dict)
            error: str | None = attr.field(default=None)

            @staticmethod
            def _get_schema() -> str:
                return SCHEMA_URL

        _FACET = OpenAIRunFacet
    return _FACET


_FACET: Any = None
FACET_FIELDS = (
    "model",
    "batch_ids",
    "job_id",
    "fine_tuned_model",
    "run_id",
    "thread_id",
    "vector_store_id",
    "file_ids",
    "request_counts",
    "failures_by_reason",
)


def operator_lineage(report: TaskReport, *, operator: str, base_url: str, error: str | None = None) -> Any:
    """The `OperatorLineage` the OpenLineage provider emits for `report`."""
    from airflow.providers.openlineage.extractors import OperatorLineage
    from openlineage.client.event_v2 import Dataset

    namespace = openai_namespace(base_url)

    def datasets(locations: list[str], remote: list[Any]) -> list[Any]:
        named = [dataset_name(location) for location in locations]
        found = [Dataset(namespace=n.namespace, name=n.name) for n in named]
        found += [Dataset(namespace=namespace, name=f"{o.kind}/{o.name}") for o in remote]
        return found

    facts = {key: report.facts[key] for key in FACET_FIELDS if report.facts.get(key) is not None}
    usage = {f"{kind}_tokens": count for kind, count in report.tokens.items()}
    facet = _facet_class()(
        operator=operator,
        base_url=namespace.removeprefix("openai://"),
        usage=usage,
        created=dict(report.created),
        error=error,
        producer=PRODUCER,
        **facts,
    )
    return OperatorLineage(
        inputs=datasets(report.inputs, report.remote_inputs),
        outputs=datasets(report.outputs, report.remote_outputs),
        run_facets={FACET_NAME: facet},
    )


class LineageMixin:
    """The OpenLineage provider's three methods, for every operator with a `TaskReport`.

    `lineage_plan()` (what the parameters say will be read and written) answers at the start;
    the report of the finished run (`self.openai_report`, set by the operator base) at the end;
    on failure, the plan merged with whatever the run reported, and the error.
    """

    openai_report: TaskReport | None = None
    openai_error: str | None = None

    def lineage_plan(self) -> TaskReport:
        return TaskReport()

    def _lineage(self, report: TaskReport, error: str | None = None) -> Any:
        try:
            base_url = self.hook.settings.base_url  # type: ignore[attr-defined]
        except Exception:  # an unreadable connection: its own error is the task's to tell
            base_url = ""
        return operator_lineage(report, operator=type(self).__name__, base_url=base_url, error=error)

    def get_openlineage_facets_on_start(self) -> Any:
        return self._lineage(self.lineage_plan())

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        return self._lineage(self.openai_report or self.lineage_plan())

    def get_openlineage_facets_on_failure(self, task_instance: Any) -> Any:
        plan, report = self.lineage_plan(), self.openai_report
        if report is not None:  # it returned, then failed (an outlet, an XCom push): keep what it told
            plan.inputs = list(dict.fromkeys([*plan.inputs, *report.inputs]))
            plan.outputs = list(dict.fromkeys([*plan.outputs, *report.outputs]))
            plan.remote_inputs = list(dict.fromkeys([*plan.remote_inputs, *report.remote_inputs]))
            plan.remote_outputs = list(dict.fromkeys([*plan.remote_outputs, *report.remote_outputs]))
            plan.facts.update(report.facts)
            plan.tokens = {**plan.tokens, **report.tokens}
            plan.created = {**plan.created, **report.created}
        return self._lineage(plan, error=self.openai_error or "the task failed")
