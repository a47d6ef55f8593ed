"""Enum-like fields know the spec's values, and take in stride a value the API adds later.

Over real HTTP: a list page holding a batch in a status nobody here knows does not end the
iteration, and the one batch decision calls that batch still running, saying why.
"""

from __future__ import annotations

import typing

import pytest

import airflow_openai.models as models
from airflow_openai.batch.assessment import assess
from airflow_openai.batch.identity import find_reattachable
from tests.models.test_spec_examples import SCHEMAS
from tests.support.clients import hook_for
from tests.support.scripted_server import Reply
from tests.support.spec import load_spec

BEYOND_THE_SPEC = {("VectorStoreFileBatchObject", "status"): {"cancelling"}}
"""Values the live API returns that this version of the spec leaves out of its enum."""


def _known_values() -> list:
    found = []
    for name in SCHEMAS:
        for field, info in getattr(models, name).model_fields.items():
            literals = [a for a in typing.get_args(info.annotation) if typing.get_origin(a) is typing.Literal]
            if literals and field != "object":
                found.append(
                    pytest.param(name, field, set(typing.get_args(literals[0])), id=f"{name}.{field}")
                )
    return found


@pytest.mark.parametrize(("schema", "field", "known"), _known_values())
def test_the_values_we_know_are_the_ones_the_spec_lists(schema, field, known):
    listed = set(load_spec()["components"]["schemas"][schema]["properties"][field]["enum"])
    assert known == listed | BEYOND_THE_SPEC.get((schema, field), set())


def _batch(n: int, status: str, **fields: object) -> dict:
    return {
        "id": f"batch_{n}",
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "input_file_id": "file-in",
        "completion_window": "24h",
        "status": status,
        "created_at": 1711471533 + n,
        "request_counts": {"total": 10, "completed": 4, "failed": 1},
        **fields,
    }


def test_a_list_page_with_a_status_added_later_is_read_to_the_end(server):
    page = [_batch(1, "completed"), _batch(2, "paused"), _batch(3, "in_progress")]
    server.queue("GET", "/v1/batches", Reply(200, {"object": "list", "data": page, "has_more": False}))

    batches = list(hook_for(server.base_url).list_batches())

    assert [(b.id, b.status) for b in batches] == [
        ("batch_1", "completed"),
        ("batch_2", "paused"),
        ("batch_3", "in_progress"),
    ]
    unknown = assess(batches[1])
    assert unknown.outcome == "running" and not unknown.finished
    assert unknown.message == (
        "Batch batch_2 has status 'paused', unknown to this provider; "
        "treating it as still running: 5/10 requests (50.0%), 1 failed"
    )


def test_a_retry_reattaches_to_its_batch_in_a_status_added_later_rather_than_paying_twice(server):
    tags = {"airflow_dag_id": "dag", "airflow_task_id": "task"}
    page = [_batch(1, "paused", metadata=tags), _batch(2, "failed", metadata=tags)]
    server.queue("GET", "/v1/batches", Reply(200, {"object": "list", "data": page, "has_more": False}))

    found = find_reattachable(hook_for(server.base_url).list_batches(), tags)

    assert found is not None and found.id == "batch_1"
