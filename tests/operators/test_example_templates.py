"""Every template in the example DAGs and the README renders for a run without a logical date.

Such a run (the REST API with `logical_date: null`, `airflow dags trigger` without `-l`)
has no `ds`, `ts` or `logical_date`: a template using them fails the task before it starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest

from tests.support.run_context import context_without_logical_date

EXAMPLES = Path(__file__).parents[2] / "src" / "airflow_openai" / "example_dags"
README = Path(__file__).parents[2] / "README.md"


def _example_dags() -> list[Any]:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk.definitions.timetables.assets import AssetTriggeredTimetable

    bag = DagBag(dag_folder=str(EXAMPLES))
    assert not bag.import_errors, bag.import_errors
    examples = {path.stem for path in EXAMPLES.glob("example_*.py")}
    assert examples <= set(bag.dags), "each example file defines the DAG named after it"
    consumers = [dag for dag_id, dag in bag.dags.items() if dag_id not in examples]
    assert consumers and all(isinstance(dag.timetable, AssetTriggeredTimetable) for dag in consumers), (
        "the other DAGs of the example files are those scheduled on an example's assets"
    )
    return list(bag.dags.values())


def _templates(value: Any) -> Iterator[str]:
    """The strings Airflow renders in a templated field; values from upstream tasks (XComArg) are not templates."""
    from airflow.sdk.definitions._internal.mixins import ResolveMixin

    if isinstance(value, str):
        yield value
    elif isinstance(value, ResolveMixin):
        return
    elif isinstance(value, dict):
        for item in value.values():
            yield from _templates(item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _templates(item)


def test_every_templated_field_of_every_example_renders_without_a_logical_date():
    rendered = 0
    for dag in _example_dags():
        assert dag.template_undefined is jinja2.StrictUndefined, "a missing field must fail, not render empty"
        for task in dag.tasks:
            context = context_without_logical_date(task)
            assert "ds" not in context and "logical_date" not in context
            for field in task.template_fields:
                for template in _templates(getattr(task, field)):
                    task.render_template(template, context)  # raises UndefinedError for a missing field
                    rendered += "{{" in template
    assert rendered >= 2, "the examples' templates were not found"


@pytest.mark.parametrize("template", re.findall(r"\{\{.*?\}\}", README.read_text()))
def test_every_template_in_the_readme_renders_without_a_logical_date(template):
    from airflow_openai.example_dags.example_openai_batch import dag

    task = dag.get_task("summarise")
    task.render_template(template, context_without_logical_date(task))


def test_a_template_using_the_logical_date_is_caught():
    from airflow_openai.example_dags.example_openai_batch import dag

    task = dag.get_task("summarise")
    with pytest.raises(jinja2.UndefinedError, match="'ds' is undefined"):
        task.render_template("s3://bucket/{{ ds }}.jsonl", context_without_logical_date(task))
