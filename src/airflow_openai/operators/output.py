"""Where a task writes what it produced when its DAG names no `output_path`."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any


def default_output_path(
    context: Any, output_root: str | None, *, local_folder: str, suffix: str, log: Any
) -> str:
    """A path for this task instance's output under an output root every worker can read.

    The root is the connection's `output_root` extra (`output_root` here), else `[openai]
    output_root`; the path under it is `{dag_id}/{run_id}/{task_id}[-{map_index}]{suffix}`.
    Without either root, the worker's own `$AIRFLOW_HOME/{local_folder}`, with a warning: a
    downstream task may run on another worker and not find it there. `log` is the task's logger.
    """
    from airflow.sdk import conf

    ti = context["ti"]
    run = re.sub(r"[^A-Za-z0-9_.-]", "_", ti.run_id)
    map_part = f"-{ti.map_index}" if getattr(ti, "map_index", -1) not in (-1, None) else ""
    relative = f"{ti.dag_id}/{run}/{ti.task_id}{map_part}{suffix}"
    root = output_root or conf.get("openai", "output_root", fallback=None)
    if root:
        return f"{str(root).rstrip('/')}/{relative}"
    home = os.environ.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
    local = str(Path(home) / local_folder / relative)
    log.warning(
        "No output_path and no output root: output goes to %s on this worker's own disk, which a task "
        "on another worker (Celery, Kubernetes) cannot read. Set [openai] output_root "
        "(AIRFLOW__OPENAI__OUTPUT_ROOT) or the connection's output_root extra to a shared folder or "
        "object storage path such as s3://bucket/openai/.",
        local,
    )
    return local
