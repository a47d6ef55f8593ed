"""Where a task writes what it produced when its DAG names no `output_path`."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

LOCAL_EXECUTORS = frozenset({"LocalExecutor", "SequentialExecutor", "DebugExecutor"})
"""Executors whose tasks all run on the scheduler's machine: every task reads the same disk."""


def tasks_share_one_disk() -> bool:
    """Whether every executor configured runs its tasks on this one machine (`[core] executor`,
    a comma-separated list of names, `module.path.Class` paths or `alias:path` entries)."""
    from airflow.sdk import conf

    configured = conf.get("core", "executor", fallback="LocalExecutor") or "LocalExecutor"
    names = [entry.strip().rsplit(":", 1)[-1].rsplit(".", 1)[-1] for entry in configured.split(",")]
    return all(name in LOCAL_EXECUTORS for name in names if name)


def output_root(
    connection_root: str | None, *, local_folder: str, log: Any, relative: str = "", warn: bool = True
) -> str:
    """Where a task's outputs go when its DAG names no `output_path`: the connection's `output_root`
    extra (`connection_root`), else `[openai] output_root`, else the worker's own
    `$AIRFLOW_HOME/{local_folder}`, with a warning where the executor runs tasks on other machines
    (Celery, Kubernetes): a downstream task may run on another worker and not find it there; the
    warning names the output (`relative` to the root). `log` is the task's logger; `warn=False`
    where this task already warned (a resumed deferral)."""
    from airflow.sdk import conf

    root = connection_root or conf.get("openai", "output_root", fallback=None)
    if root:
        return str(root).rstrip("/")
    home = os.environ.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
    local = str(Path(home) / local_folder)
    if not warn or tasks_share_one_disk():
        return local
    log.warning(
        "No output_path and no output root: output goes to %s on this worker's own disk, which a "
        "task on another worker (Celery, Kubernetes) cannot read. Set [openai] output_root "
        "(AIRFLOW__OPENAI__OUTPUT_ROOT) or the connection's output_root extra to a shared folder or "
        "object storage path such as s3://bucket/openai/.",
        f"{local}/{relative}" if relative else local,
    )
    return local


def default_output_path(
    context: Any, connection_root: str | None, *, local_folder: str, suffix: str, log: Any, warn: bool = True
) -> str:
    """`{root}/{dag_id}/{run_id}/{task_id}[-{map_index}]{suffix}` under `output_root`."""
    ti = context["ti"]
    run = re.sub(r"[^A-Za-z0-9_.-]", "_", ti.run_id)
    map_part = f"-{ti.map_index}" if getattr(ti, "map_index", -1) not in (-1, None) else ""
    relative = f"{ti.dag_id}/{run}/{ti.task_id}{map_part}{suffix}"
    root = output_root(connection_root, local_folder=local_folder, log=log, relative=relative, warn=warn)
    return f"{root}/{relative}"
