"""`/threads/{thread_id}/runs`."""

from __future__ import annotations

from typing import Any

from airflow_openai.client.calls import ApiCall, ListCall, Reconcile, segment
from airflow_openai.models import RunObject


def _runs(thread_id: str) -> str:
    return f"/threads/{segment(thread_id)}/runs"


def create_run(thread_id: str, assistant_id: str, **options: Any) -> ApiCall[RunObject]:
    """Run an assistant on a thread; `options` are the spec's other fields (model, instructions, tools...).

    If the answer is lost, the thread's newest runs are looked through for one of this
    assistant created since, before another (paid) run is started.
    """
    body = {"assistant_id": assistant_id, **{k: v for k, v in options.items() if v is not None}}
    lookup = list_runs(thread_id, limit=20, order="desc")
    reconcile: Reconcile[RunObject] = Reconcile(
        lookup, lambda run: run.assistant_id == assistant_id, what=f"a run of {assistant_id}"
    )
    return ApiCall("POST", _runs(thread_id), RunObject.model_validate, json=body, reconcile=reconcile)


def get_run(thread_id: str, run_id: str) -> ApiCall[RunObject]:
    return ApiCall("GET", f"{_runs(thread_id)}/{segment(run_id)}", RunObject.model_validate)


def list_runs(
    thread_id: str,
    limit: int | None = None,
    order: str | None = None,
    after: str | None = None,
    before: str | None = None,
) -> ListCall[RunObject]:
    params = {"limit": limit, "order": order, "after": after, "before": before}
    return ListCall("GET", _runs(thread_id), RunObject.model_validate, params=params)


def cancel_run(thread_id: str, run_id: str) -> ApiCall[RunObject]:
    path = f"{_runs(thread_id)}/{segment(run_id)}/cancel"
    return ApiCall("POST", path, RunObject.model_validate, repeatable=True)
