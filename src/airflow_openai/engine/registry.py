"""The job kinds by name: how a trigger's serialized kwargs find their plug-in again.

A kind is imported only when asked for, so that naming one (a trigger deserialized in the
triggerer) loads its capability's models and nothing else.
"""

from __future__ import annotations

import importlib
from functools import cache

from airflow_openai.engine.kind import JobKind

KINDS = {
    "batch": "airflow_openai.engine.kinds.batch:BatchKind",
    "fine_tuning": "airflow_openai.engine.kinds.fine_tuning:FineTuningKind",
    "file_batch": "airflow_openai.engine.kinds.file_batch:FileBatchKind",
    "run": "airflow_openai.engine.kinds.run:RunKind",
}


@cache
def kind(name: str) -> JobKind:
    """The plug-in registered as `name`."""
    try:
        module, _, attribute = KINDS[name].partition(":")
    except KeyError:
        raise ValueError(f"unknown job kind {name!r}; known: {', '.join(sorted(KINDS))}") from None
    plugin: JobKind = getattr(importlib.import_module(module), attribute)()
    return plugin
