"""Where a task writes what it produced when its DAG names no `output_path`."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any


def output_root(connection_root: str | None, *, local_folder: str, log: Any, relative: str = "") -> str:
    """Where a task's outputs go when its DAG names no `output_path`: the connection's `output_root`
    extra (`connection_root`), else `[openai] output_root`, else the worker's own
    `$AIRFLOW_HOME/{local_folder}`, with a warning: a downstream task may run on another worker
    and not find it there; the warning names the output (`relative` to the root). `log` is the
    task's logger."""
    from airflow.sdk import conf

    root = connection_root or conf.get("openai", "output_root", fallback=None)
    if root:
        return str(root).rstrip("/")
    home = os.environ.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
    local = str(Path(home) / local_folder)
    log.warning(
        "No output_path and no output root: output goes to %s on this worker's own disk, which a "
        "task on another worker (Celery, Kubernetes) cannot read. Set [openai] output_root "
        "(AIRFLOW__OPENAI__OUTPUT_ROOT) or the connection's output_root extra to a shared folder or "
        "object storage path such as s3://bucket/openai/.",
        f"{local}/{relative}" if relative else local,
    )
    return local


def default_output_path(
    context: Any, connection_root: str | None, *, local_folder: str, suffix: str, log: Any
) -> str:
    """`{root}/{dag_id}/{run_id}/{task_id}[-{map_index}]{suffix}` under `output_root`."""
    ti = context["ti"]
    run = re.sub(r"[^A-Za-z0-9_.-]", "_", ti.run_id)
    map_part = f"-{ti.map_index}" if getattr(ti, "map_index", -1) not in (-1, None) else ""
    relative = f"{ti.dag_id}/{run}/{ti.task_id}{map_part}{suffix}"
    return f"{output_root(connection_root, local_folder=local_folder, log=log, relative=relative)}/{relative}"
