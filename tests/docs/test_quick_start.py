"""The README's quick start, followed as written by a new user: a fresh virtual environment, the
provider installed from this checkout, the emulator started from that environment, a migrated
metadata DB in a new `AIRFLOW_HOME`, the README's DAG file in its dags folder run by
`python <file>` (its `dag.test()`), with the connection the quick start exports. It must succeed,
and the emulator must have run exactly the one batch the DAG makes.

The steps are the README's `<!-- quick-start: step -->` blocks, run by bash. What is replaced, and
only that:

- `pip install` becomes `uv pip install` with a constraints file exported from `uv.lock` (the same
  install, in seconds rather than a minute, and with the locked Airflow), and the venv is made
  without pip, which nothing then uses; without `.tools/bin/uv` (built by `make`), plain pip with
  the same constraints;
- `python3` making the venv is this interpreter (the locked environment's Python version);
- `./airflow-provider-openai` is this checkout;
- the paths under `/tmp` and `~` are in a temporary folder, and port 8089 a free port.

It takes about a minute; `make test` runs it (it is not an e2e test).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.docs.readme import Block, marked

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".tools" / "bin" / "uv"
STEPS = ("install", "emulator", "airflow", "dag", "run")


def _steps() -> dict[str, Block]:
    found = {block.argument.split()[0]: block for block in marked("quick-start")}
    assert sorted(found) == sorted(STEPS), f"the README's quick-start steps are {sorted(found)}"
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clean_environment() -> dict[str, str]:
    """This machine's environment without what the test session set (Airflow's, OpenAI's, the venv)."""
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(part for part in os.environ["PATH"].split(os.pathsep) if part != venv_bin)
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AIRFLOW", "OPENAI", "VIRTUAL_ENV", "PYTHON", "_AIRFLOW", "PYTEST"))
    }
    return {**kept, "PATH": path}


def _constraints(folder: Path) -> Path:
    """The locked versions of everything the package needs, as a constraints file."""
    target = folder / "constraints.txt"
    exported = subprocess.run(
        [str(UV), "export", "--frozen", "--quiet", "--no-hashes", "--no-emit-project", "--no-dev"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    target.write_text(exported.stdout)
    return target


def _substituted(code: str, *, folder: Path, port: int, constraints: Path) -> str:
    if UV.exists():
        code = code.replace(
            "python3 -m venv venv", f"{shlex.quote(sys.executable)} -m venv --without-pip venv"
        )
        code = code.replace(
            "pip install ", f"{shlex.quote(str(UV))} pip install --quiet -c {shlex.quote(str(constraints))} "
        )
    else:
        code = code.replace("python3 -m venv venv", f"{shlex.quote(sys.executable)} -m venv venv")
        code = code.replace("pip install ", f"pip install --quiet -c {shlex.quote(str(constraints))} ")
    code = code.replace("./airflow-provider-openai", shlex.quote(str(ROOT)))
    code = code.replace("~/airflow-openai-quickstart", str(folder / "airflow-home"))
    code = code.replace("/tmp/openai-emulator", str(folder / "emulator-data"))
    code = code.replace("airflow-openai-emulator ", f"airflow-openai-emulator --port {port} ")
    return code.replace("8089", str(port))


def _bash(
    script: str, folder: Path, environment: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _locked_airflow() -> str:
    lock = (ROOT / "uv.lock").read_text()
    return re.search(r'\[\[package\]\]\nname = "apache-airflow"\nversion = "([^"]+)"', lock)[1]


def _installed_airflow(venv: Path) -> str:
    code = "from importlib.metadata import version; print(version('apache-airflow'))"
    return subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def _wait_until_serving(url: str, emulator: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert emulator.poll() is None, f"the emulator stopped: {emulator.communicate()[0][-2000:]}"
        time.sleep(0.2)
    raise AssertionError("the emulator did not start")


@pytest.mark.skipif(sys.platform == "win32", reason="the quick start is written for a POSIX shell")
def test_the_quick_start_works_in_a_fresh_environment(tmp_path):
    if not UV.exists():
        pytest.skip("the constraints come from uv.lock through .tools/bin/uv (make builds it)")
    steps = _steps()
    port = _free_port()
    constraints = _constraints(tmp_path)
    environment = _clean_environment()

    def step(name: str) -> str:
        return _substituted(steps[name].code, folder=tmp_path, port=port, constraints=constraints)

    started = time.monotonic()
    installed = _bash(step("install"), tmp_path, environment, timeout=900)
    assert installed.returncode == 0, installed.stderr[-3000:]
    installed_at = time.monotonic() - started
    assert _installed_airflow(tmp_path / "venv") == _locked_airflow(), (
        "the quick start installs the locked Airflow"
    )
    activate = f". {shlex.quote(str(tmp_path / 'venv' / 'bin' / 'activate'))}\n"
    emulator = subprocess.Popen(
        ["bash", "-c", activate + "exec " + step("emulator")],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_until_serving(f"http://127.0.0.1:{port}/_emulator/", emulator)
        dag_file = steps["dag"].argument.split()[1]
        script = (
            activate
            + step("airflow")
            + f"cat > {dag_file} <<'README_DAG'\n{steps['dag'].code}README_DAG\n"
            + step("run")
        )
        ran = _bash(script, tmp_path, environment, timeout=600)
        output = ran.stdout + ran.stderr
        assert ran.returncode == 0, output[-5000:]
        assert "3 of 3 answered" in output, output[-5000:]
        batches = httpx.get(
            f"http://127.0.0.1:{port}/v1/batches", headers={"Authorization": "Bearer sk-emulator"}, timeout=10
        ).json()["data"]
        assert len(batches) == 1, json.dumps(batches)[:2000]
        assert batches[0]["status"] == "completed" and batches[0]["request_counts"]["completed"] == 3
        results = list(
            (tmp_path / "airflow-home" / "openai_batches" / "first_batch").glob("*/summarise.jsonl")
        )
        assert len(results) == 1 and len(results[0].read_text().splitlines()) == 3
    finally:
        emulator.terminate()
        try:
            emulator.wait(15)
        except subprocess.TimeoutExpired:
            emulator.kill()
    print(f"installed in {installed_at:.0f} s; the whole quick start took {time.monotonic() - started:.0f} s")
