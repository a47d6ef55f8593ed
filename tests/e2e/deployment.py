"""A real Airflow 3 deployment on this machine, for end-to-end tests of the provider.

Five processes, each started here in its own process group and stopped by this class
only: the OpenAI emulator (the remote API) and Airflow's api-server, scheduler
(LocalExecutor), dag-processor and triggerer, all on a temporary AIRFLOW_HOME with a
file SQLite DB. Every child gets an explicit environment (the test process's own Airflow
settings never leak in), with the `openai_default` connection pointing at the emulator
and a keyless one, `openai_wif` (workload identity: a Kubernetes token file in the home,
exchanged at the emulator's `/oauth/token` for short-lived access tokens).
Each component's output goes to `<home>/logs/components/<name>.log`; `diagnosis()` gives
their tails for failure messages.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

from airflow_openai.emulator.server import PROJECT_KEY
from tests.e2e.airflow_api import AirflowAPI
from tests.e2e.emulator_control import EmulatorControl
from tests.e2e.processes import Component, run_once

DAGS_SOURCE = Path(__file__).parent / "dags"
AIRFLOW_COMPONENTS = ("scheduler", "dag-processor", "triggerer")
EMULATOR_SPEED = 60.0
"""Emulated seconds per real second: a held batch's minutes pass in seconds, a 90-second outage is 90 emulated minutes."""
WIF_CONN_ID = "openai_wif"
"""The keyless connection: no password, `auth_type: workload_identity` with a Kubernetes token file."""
IDENTITY_PROVIDER_ID = "idp_e2e_wif"
SERVICE_ACCOUNT_ID = "sa_e2e_wif"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Deployment:
    def __init__(self, home: Path | None = None, keep_home: bool = False) -> None:
        self.home = home or Path(tempfile.mkdtemp(prefix="airflow-openai-e2e-"))
        self.keep_home = keep_home
        self.bin = Path(sys.executable).parent
        self.api_port = _free_port()
        self.emulator_port = _free_port()
        self.log_dir = self.home / "logs" / "components"
        self.results_dir = self.home / "results"
        self.components: dict[str, Component] = {}
        self.emulator = EmulatorControl(f"http://127.0.0.1:{self.emulator_port}", speed=EMULATOR_SPEED)
        self.api = AirflowAPI(f"http://127.0.0.1:{self.api_port}", self.diagnosis)
        self.subject_token = f"SUBJECT-CANARY-e2e-{secrets.token_hex(12)}"
        """What the `openai_wif` connection's token file holds: a canary no output may contain."""
        self.token_file = self.home / "identity" / "token"

    # -- environment ---------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """What every child sees: this machine's basics, none of the caller's Airflow or OpenAI settings."""
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AIRFLOW", "OPENAI_", "PYTEST", "_AIRFLOW")) and k != "VIRTUAL_ENV"
        }
        api = f"http://127.0.0.1:{self.api_port}"
        connection = {
            "conn_type": "openai_platform",
            "host": self.emulator.base_url,
            "password": PROJECT_KEY,
        }
        keyless = {
            "conn_type": "openai_platform",
            "host": self.emulator.base_url,
            "extra": {
                "auth_type": "workload_identity",
                "workload_identity_provider": "kubernetes",
                "identity_provider_id": IDENTITY_PROVIDER_ID,
                "service_account_id": SERVICE_ACCOUNT_ID,
                "token_file_path": str(self.token_file),
                "token_exchange_url": self.emulator.token_url,
            },
        }
        return {
            **base,
            "PATH": f"{self.bin}{os.pathsep}{base.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.home / "dags"),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api}/execution/",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__BASE_URL": api,
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__SECRET_KEY": self._secret("api"),
            "AIRFLOW__API_AUTH__JWT_SECRET": self._secret("jwt"),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "15",
            "AIRFLOW_CONN_OPENAI_DEFAULT": json.dumps(connection),
            f"AIRFLOW_CONN_{WIF_CONN_ID.upper()}": json.dumps(keyless),
            "E2E_RESULTS_DIR": str(self.results_dir),
        }

    def _secret(self, name: str) -> str:
        """One random secret per deployment, shared by every component (they must agree on it)."""
        if not hasattr(self, "_secrets"):
            self._secrets: dict[str, str] = {}
        return self._secrets.setdefault(name, secrets.token_hex(32))

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self, dag_ids: list[str], timeout: float = 240.0) -> Deployment:
        """Emulator, DB migration, the four Airflow components; then wait for health and `dag_ids` parsed."""
        atexit.register(self.stop)
        started = time.monotonic()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.results_dir.mkdir(parents=True, exist_ok=True)
        shutil.copytree(DAGS_SOURCE, self.home / "dags", ignore=shutil.ignore_patterns("__pycache__"))
        self.token_file.parent.mkdir(mode=0o700, exist_ok=True)
        self.token_file.write_text(self.subject_token)
        self.token_file.chmod(0o600)
        env = self.env()
        emulator = [
            str(self.bin / "airflow-openai-emulator"),
            "--host", "127.0.0.1",
            "--port", str(self.emulator_port),
            "--data-dir", str(self.home / "emulator"),
            "--speed", f"{EMULATOR_SPEED:g}",
        ]  # fmt: skip
        self._add("emulator", emulator, env).start()
        self.emulator.wait_up(30)
        run_once([str(self.bin / "airflow"), "db", "migrate"], env, self.log_dir / "db-migrate.log", 180)
        airflow = str(self.bin / "airflow")
        self._add(
            "api-server", [airflow, "api-server", "--host", "127.0.0.1", "--port", str(self.api_port)], env
        )
        for name in AIRFLOW_COMPONENTS:
            self._add(name, [airflow, name], env)
        for name in ("api-server", *AIRFLOW_COMPONENTS):
            self.components[name].start()
        remaining = timeout - (time.monotonic() - started)
        self.api.wait_healthy(remaining, self.check_alive)
        self.api.wait_dags(dag_ids, timeout - (time.monotonic() - started))
        self.startup_seconds = time.monotonic() - started
        return self

    def _add(self, name: str, argv: list[str], env: dict[str, str]) -> Component:
        component = Component(name, argv, env, self.log_dir)
        self.components[name] = component
        return component

    def check_alive(self) -> None:
        dead = [name for name, c in self.components.items() if c.process is not None and not c.running]
        if dead:
            raise AssertionError(f"components exited: {dead}\n\n{self.diagnosis()}")

    def stop(self) -> None:
        """Stop every process group this deployment started (the others first, the emulator last)."""
        for name in reversed(list(self.components)):
            self.components[name].stop()
        self.api.close()
        self.emulator.close()
        if not self.keep_home:
            shutil.rmtree(self.home, ignore_errors=True)
        atexit.unregister(self.stop)

    def kill(self, name: str) -> None:
        """SIGKILL a component's whole process group: no cleanup, as when a machine dies."""
        self.components[name].kill(signal.SIGKILL)

    def restart(self, name: str) -> None:
        component = self.components[name]
        if component.running:
            component.stop()
        component.start()

    # -- what the scenarios need ---------------------------------------------------------------

    def results_file(self, dag_id: str, run_id: str) -> Path:
        return self.results_dir / dag_id / f"{run_id}.jsonl"

    def diagnosis(self, lines: int = 30) -> str:
        return "".join(c.tail(lines) for c in self.components.values())
