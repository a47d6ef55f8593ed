"""Every Python snippet of the README runs, as written, against the emulator: the README cannot drift.

Each fenced ```python block is one of (see `tests.docs.readme` for the markers):

- run as written (no marker, or a `quick-start` step);
- run with placeholders replaced: `<!-- placeholders: s3://bucket/, batch_abc123 -->` names the strings
  that stand for what only the reader has (a bucket, a batch of theirs). Only the strings named are
  replaced, each by what `PLACEHOLDERS` makes (a local folder holding what the snippet reads, an
  object made on the emulator), and each must occur in the snippet;
- a literal shape (`<!-- shape: name -->`), checked against a real run by `test_readme_shapes.py`;
- a fragment (`<!-- fragment: why -->`), not run, with the reason.

How a snippet runs: it is written into the session's dags folder (as a reader puts a DAG file there)
and executed as a module. One with `if __name__ == "__main__":` is executed as the main module, so
its own `dag.test(...)` call runs (recorded, to check the run succeeded); for one without, every
DAG it defines is run with `dag.test()`, except those scheduled on assets (Airflow runs those when
the asset is updated). A snippet defining no DAG (the hook's) passes when it runs without error.
Every DAG run must succeed, and where a snippet's text claims more (the hour an export covers, a
tool call answered), `CHECKS` checks that too. The session's emulator (speed 60, as the command
starts) serves the `openai_default` connection; outputs without a path go under a temporary
`[openai] output_root`.

Bash blocks run only when marked `<!-- runnable -->`, by bash with `set -euo pipefail`, the
placeholders the marker names (`<!-- runnable: http://127.0.0.1:8089 -->`) replaced as above; the
quick start's steps run in `test_quick_start.py`.
"""

from __future__ import annotations

import io
import json
import os
import runpy
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.docs.readme import Block, blocks, python_blocks
from tests.docs.test_readme_shapes import SHAPES
from tests.support.dag_runner import run_dag, task_states, xcom_value

RUN_KINDS = (None, "placeholders", "quick-start")


def _bucket(context: dict[str, Any]) -> str:
    """A local folder standing for `s3://bucket/`, holding what the snippets read from it."""
    root: Path = context["tmp_path"] / "bucket"
    handbook = root / "handbook"
    (handbook / "guides").mkdir(parents=True)
    (handbook / "intro.md").write_text("# Handbook\n\nHow we work: answer every ticket within a day.\n")
    (handbook / "guides" / "passwords.md").write_text(
        "# Passwords\n\nReset a password from the login page.\n"
    )
    (handbook / ".draft.md").write_text("not ready\n")
    train = root / "corpus" / "train"
    train.mkdir(parents=True)
    for name in ("a", "b"):
        lines = [
            {
                "messages": [
                    {"role": "user", "content": f"ticket {name}{n}"},
                    {"role": "assistant", "content": "billing"},
                ]
            }
            for n in range(10)
        ]
        (train / f"{name}.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return f"{root}/"


def _batch(context: dict[str, Any]) -> str:
    """A completed batch of the emulator's, with an output file."""
    hook = context["hook"]
    line = {
        "custom_id": "a",
        "method": "POST",
        "url": "/v1/embeddings",
        "body": {"model": "text-embedding-3-small", "input": "hi"},
    }
    source = hook.create_file(io.BytesIO(json.dumps(line).encode() + b"\n"), "batch", "input.jsonl")
    batch = hook.create_batch(source.id, "/v1/embeddings")
    deadline = time.monotonic() + 60
    while hook.get_batch(batch.id).status != "completed":
        assert time.monotonic() < deadline, "the batch did not complete"
        context["emu"].advance(60)
        time.sleep(0.05)
    return batch.id


def _data(context: dict[str, Any]) -> str:
    folder: Path = context["tmp_path"] / "data"
    folder.mkdir()
    return f"{folder}/"


PLACEHOLDERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "s3://bucket/": _bucket,
    "batch_abc123": _batch,
    "/data/": _data,
    "http://127.0.0.1:8089": lambda context: context["emu"].url,
}


def _exports_the_hour_before(dag_run: Any) -> None:
    """The audit snippet's claim: `dag.test(logical_date=h)` exports `[h - 1 h, h)`."""
    import pendulum

    hour = pendulum.instance(dag_run.logical_date).in_timezone("UTC")
    export = xcom_value(dag_run, "export_audit_logs")
    assert pendulum.parse(export["end"]) == hour, export
    assert pendulum.parse(export["start"]) == hour.subtract(hours=1), export


def _tool_answered(dag_run: Any) -> None:
    assert xcom_value(dag_run, "ask")["tool_calls_answered"] >= 1


def _routed_by_the_new_model(dag_run: Any) -> None:
    assert xcom_value(dag_run, "route_new_tickets")["succeeded"] == 2


def _answered(dag_run: Any) -> None:
    assert xcom_value(dag_run, "summarise")["succeeded"] == xcom_value(dag_run, "summarise")["total"] > 0


CHECKS: dict[str, Callable[[Any], None]] = {
    "audit": _exports_the_hour_before,
    "order_support": _tool_answered,
    "ticket_router": _routed_by_the_new_model,
    "first_batch": _answered,
    "review_summaries": _answered,
}
"""What a snippet's text says its DAG does, checked beyond its run succeeding."""


def _runnable() -> list[Block]:
    return [block for block in python_blocks() if block.kind in RUN_KINDS]


def test_every_python_block_is_run_or_marked():
    for block in python_blocks():
        where = f"README.md line {block.line} ({block.heading})"
        assert block.kind in (*RUN_KINDS, "fragment", "shape"), f"{where}: unknown marker {block.kind!r}"
        if block.kind == "fragment":
            assert len(block.argument) > 10, f"{where}: a fragment says why it is not run"
        if block.kind == "shape":
            assert block.argument in SHAPES, f"{where}: no shape check named {block.argument!r}"
        if block.kind == "placeholders":
            for placeholder in _placeholders(block):
                assert placeholder in PLACEHOLDERS, f"{where}: unknown placeholder {placeholder!r}"
                assert placeholder in block.code, f"{where}: {placeholder!r} is not in the snippet"
    for block in RUNNABLE_BASH:
        for placeholder in _placeholders(block):
            assert placeholder in PLACEHOLDERS, (
                f"README.md line {block.line}: unknown placeholder {placeholder!r}"
            )
    assert len(_runnable()) >= 10
    shapes = [block.argument for block in python_blocks() if block.kind == "shape"]
    assert sorted(shapes) == sorted(SHAPES), "each shape check has its block in the README"


def _placeholders(block: Block) -> list[str]:
    """The placeholders a block names: `<!-- placeholders: a, b -->`, or a bash block's `<!-- runnable: a, b -->`."""
    if block.kind not in ("placeholders", "runnable"):
        return []
    return [part.strip() for part in block.argument.split(",") if part.strip()]


class _Recorder:
    """Keeps the DAGs a snippet opens (`with DAG(...)`, named or not) and the runs its own
    `dag.test(...)` makes."""

    def __init__(self) -> None:
        self.dags: dict[int, Any] = {}
        self.runs: list[Any] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from airflow.sdk import DAG

        test, enter = DAG.test, DAG.__enter__
        recorder = self

        def recorded_test(dag: Any, *args: Any, **kwargs: Any) -> Any:
            dag_run = test(dag, *args, **kwargs)
            recorder.runs.append(dag_run)
            return dag_run

        def recorded_enter(dag: Any) -> Any:
            recorder.dags[id(dag)] = dag
            return enter(dag)

        monkeypatch.setattr(DAG, "test", recorded_test)
        monkeypatch.setattr(DAG, "__enter__", recorded_enter)


@pytest.mark.parametrize("block", _runnable(), ids=lambda block: block.name)
def test_the_snippet_runs(block, airflow_db, emu, emu_hook, tmp_path, monkeypatch):
    from airflow.sdk import DAG

    monkeypatch.setenv("AIRFLOW__OPENAI__OUTPUT_ROOT", str(tmp_path / "output_root"))
    context = {"tmp_path": tmp_path, "emu": emu, "hook": emu_hook}
    code = block.code
    for placeholder in _placeholders(block):
        code = code.replace(placeholder, PLACEHOLDERS[placeholder](context))
    path = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]) / f"readme_line_{block.line}.py"
    path.write_text(code)
    recorder = _Recorder()
    recorder.install(monkeypatch)
    try:
        as_main = 'if __name__ == "__main__":' in code
        namespace = runpy.run_path(str(path), run_name="__main__" if as_main else f"readme_line_{block.line}")
        runs = list(recorder.runs)
        if not as_main:
            dags = {
                **recorder.dags,
                **{id(value): value for value in namespace.values() if isinstance(value, DAG)},
            }
            for dag in dags.values():
                if not _scheduled_on_assets(dag):
                    runs.append(run_dag(dag))
    finally:
        path.unlink()
    for dag_run in runs:
        assert str(dag_run.state) == "success", f"{dag_run.dag_id}: {task_states(dag_run)}"
        CHECKS.get(dag_run.dag_id, lambda _: None)(dag_run)
    if "DAG(" in code:
        assert runs, "the snippet defines a DAG, and none ran"


def _scheduled_on_assets(dag: Any) -> bool:
    from airflow.sdk.definitions.timetables.assets import AssetTriggeredTimetable

    return isinstance(dag.timetable, AssetTriggeredTimetable)


RUNNABLE_BASH = [block for block in blocks() if block.language == "bash" and block.kind == "runnable"]


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README's shell examples use curl")
@pytest.mark.parametrize("block", RUNNABLE_BASH, ids=lambda block: block.name)
def test_the_runnable_bash_blocks_run(block, emu, emu_hook, tmp_path):
    context = {"tmp_path": tmp_path, "emu": emu, "hook": emu_hook}
    code = block.code
    for placeholder in _placeholders(block):
        assert placeholder in code, placeholder
        code = code.replace(placeholder, PLACEHOLDERS[placeholder](context))
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", code],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_some_bash_block_is_run():
    assert RUNNABLE_BASH, "no bash block of the README is marked runnable"
