"""An assistant run: seconds to minutes, so polls start a second apart; a run that waits on tool
outputs ends the wait with ``action`` and the calls, for the operator to answer in the worker."""

from __future__ import annotations

from typing import Any

from airflow_openai.engine.kind import JobKind
from airflow_openai.pacing import PollPacing
from airflow_openai.runs import assessment


class RunKind(JobKind):
    """`ref`: ``{"ids": [run id], "thread_id": ...}``."""

    name = "run"
    noun, nouns = "run", "runs"
    reader, canceller = "get_run", "cancel_run"
    pacing = PollPacing(minimum=1.0, maximum=30.0)

    assess = staticmethod(assessment.assess)

    def args(self, ref: dict[str, Any], key: str) -> tuple[Any, ...]:
        return (ref["thread_id"], key)

    def name_of(self, ref: dict[str, Any], key: str) -> str:
        return f"run {key} on thread {ref['thread_id']}"

    def describe(self, ref: dict[str, Any]) -> str:
        return self.name_of(ref, self.keys(ref)[0])

    def legacy_ref(self, event: dict[str, Any]) -> dict[str, Any]:
        return {"ids": [event["run_id"]], "thread_id": event["thread_id"]}

    def payload(self, ref: dict[str, Any], latest: dict[str, Any]) -> dict[str, Any]:
        run_id = self.keys(ref)[0]
        seen = latest.get(run_id)
        calls = (
            [dict(call) for call in seen.tool_calls] if seen is not None and seen.outcome == "action" else []
        )
        return {
            "thread_id": ref["thread_id"],
            "run_id": run_id,
            "run_status": seen.status if seen is not None else "not seen yet",
            "tool_calls": calls,
        }
