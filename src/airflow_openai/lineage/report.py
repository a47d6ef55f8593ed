"""`TaskReport`: the one account of a task run that lineage, assets and metrics are made from.

Each operator fills one from the value it returns (its manifest), so the three agree with what
the user sees in XCom. Nothing secret goes in: ids, paths, counts and model names only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ASSET_EXTRA_FACTS = (
    "batch_ids",
    "job_id",
    "run_id",
    "thread_id",
    "vector_store_id",
    "fine_tuned_model",
    "model",
    "path",
    "output_path",
    "total",
    "succeeded",
    "failed",
    "count",
    "tokens",
)
"""The small facts an asset event's `extra` carries (a consumer DAG reads them without XCom)."""


@dataclass(frozen=True)
class RemoteObject:
    """Something the OpenAI API keeps, read or made by the task: `kind` is `vector_store`,
    `model` or `file`; `name` its id (a model's name)."""

    kind: str
    name: str


@dataclass
class TaskReport:
    inputs: list[str] = field(default_factory=list)
    """Local paths and object-storage URIs the task read."""
    outputs: list[str] = field(default_factory=list)
    """Local paths and object-storage URIs the task wrote."""
    remote_inputs: list[RemoteObject] = field(default_factory=list)
    remote_outputs: list[RemoteObject] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    """What was created and spent, for the run facet: ids, request counts, token usage, model."""
    requests_sent: int = 0
    requests_failed: dict[str, int] = field(default_factory=dict)
    """Failed requests by reason (the API's error code, or `expired`, `cancelled`, ...)."""
    tokens: dict[str, int] = field(default_factory=dict)
    """`prompt` and `completion` tokens (or `trained` for fine-tuning), as the API counted them."""
    created: dict[str, int] = field(default_factory=dict)
    """Remote objects this run stands for, by kind: `batches`, `fine_tuning_jobs`, `runs`, ..."""

    def add_results(self, manifest: Mapping[str, Any]) -> TaskReport:
        """Counts, failures by reason and tokens of a results manifest (batch and direct calls)."""
        counts = {key: int(manifest.get(key) or 0) for key in ("total", "succeeded", "failed")}
        failures = {str(k): int(v) for k, v in (manifest.get("failures_by_reason") or {}).items()}
        self.facts.update(counts, request_counts=counts, failures_by_reason=failures)
        if manifest.get("output_path"):
            self.outputs = [str(manifest["output_path"])]
            self.facts["output_path"] = str(manifest["output_path"])
        self.requests_sent = counts["total"]
        self.requests_failed = failures
        self.tokens = usage_tokens(manifest.get("usage"))
        return self

    def asset_extra(self) -> dict[str, Any]:
        """The facts worth an asset event's `extra`: small, plain, and the same as in XCom."""
        facts = {**self.facts, "tokens": sum(self.tokens.values())} if self.tokens else dict(self.facts)
        return {key: facts[key] for key in ASSET_EXTRA_FACTS if facts.get(key) is not None}


def usage_tokens(usage: Mapping[str, Any] | None) -> dict[str, int]:
    """`prompt` and `completion` tokens of an API usage object (chat or responses wording)."""
    if not usage:
        return {}
    prompt = usage.get("prompt_tokens", usage.get("input_tokens")) or 0
    completion = usage.get("completion_tokens", usage.get("output_tokens")) or 0
    return {"prompt": int(prompt), "completion": int(completion)}
