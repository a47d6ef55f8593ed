"""A distributed Airflow 3 deployment on this machine, for end-to-end tests of the provider where
users outgrow one machine: what `tests/e2e/deployment.py` runs on one machine, spread the way
production spreads it.

Started here, each in its own process group (`tests/e2e/processes.py`) and stopped by this class
only, on free loopback ports, with their data under one temporary folder:

- the OpenAI emulator (the remote API);
- PostgreSQL (the metadata DB and Celery's result backend), `initdb`'d and run as the `postgres` user;
- Redis (the Celery broker);
- moto's S3 server (object storage over the S3 API), behind the Airflow connection `aws_default`;
- Airflow's api-server, scheduler (CeleryExecutor), dag-processor and triggerer, as root, on a
  home of their own (`control/`);
- two Celery workers: A on queues `qa,qshared`, B on `qb,qshared`. Each runs as its own system
  user (`afworker_a`, `afworker_b`) with its own `AIRFLOW_HOME`, `HOME` and `TMPDIR` (mode 0700),
  and, where the machine allows it (root), in a mount namespace of its own in which the other
  worker's folder and the control plane's are covered by an empty tmpfs: a path one worker wrote
  does not exist for the other, as on two machines (`FileNotFoundError`, not a lucky read).

Task logs go to S3 (remote logging), which is how the api-server reads a log a worker wrote.
`[openai] output_root` is the tasks' setting, so it is the workers': `set_output_root` restarts
them with it (or without it).
"""

from __future__ import annotations

import atexit
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from airflow_openai.emulator.server import ADMIN_KEY, PROJECT_KEY
from tests.e2e.airflow_api import AirflowAPI
from tests.e2e.distributed import services
from tests.e2e.emulator_control import EmulatorControl
from tests.e2e.processes import Component, run_once

HERE = Path(__file__).parent
DAGS_SOURCE = HERE / "dags"
PYLIB_SOURCE = HERE / "pylib"
REPO = HERE.parents[2]
EXAMPLE_DAGS = ("example_openai_batch.py",)
"""The project's example DAGs run unchanged (copied from src/ at start; `pylib/airflow_local_settings.py`
routes their downstream tasks to worker B)."""
EMULATOR_SPEED = 60.0
BUCKET = "airflow-openai-e2e"
AWS_CONN_ID = "aws_default"
OUTPUT_ROOT = f"s3://{AWS_CONN_ID}@{BUCKET}/openai"
"""`[openai] output_root` when set: `ObjectStoragePath` takes the connection from the URI's user part."""
LOGS_PREFIX = "logs"
AUDIT_HOURS = 3
CONTROL_COMPONENTS = ("scheduler", "dag-processor", "triggerer")
HEARTBEAT_TIMEOUT = 30
"""`[scheduler] task_instance_heartbeat_timeout`: a task whose worker died is failed (and retried)
this many seconds after its last heartbeat (300 by default)."""


@dataclass
class Worker:
    """One Celery worker: its queues, user and private folders."""

    name: str  # "a" or "b"
    queues: str
    root: Path  # everything it owns: home/, airflow/ (AIRFLOW_HOME), tmp/
    user: pwd.struct_passwd | None = None
    hidden: list[Path] = field(default_factory=list)

    @property
    def component(self) -> str:
        return f"worker-{self.name}"

    @property
    def hostname(self) -> str:
        return f"worker-{self.name}"

    @property
    def airflow_home(self) -> Path:
        return self.root / "airflow"


class DistributedDeployment:
    def __init__(self, keep_home: bool = False) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="airflow-openai-e2e-dist-"))
        self.home.chmod(0o711)  # the workers and postgres go through to their own folders, list nothing
        self.keep_home = keep_home
        self.bin = Path(sys.executable).parent
        self.control = self.home / "control"
        self.log_dir = self.home / "components"
        self.ports = {
            name: services.free_port()
            for name in ("api", "emulator", "postgres", "redis", "s3", "triggerer_logs")
        }
        self.db_password = secrets.token_hex(16)
        self.fernet_key = _fernet_key()
        self.secrets = {name: secrets.token_hex(32) for name in ("api", "jwt")}
        self.components: dict[str, Component] = {}
        self.emulator = EmulatorControl(f"http://127.0.0.1:{self.ports['emulator']}", speed=EMULATOR_SPEED)
        self.api = AirflowAPI(f"http://127.0.0.1:{self.ports['api']}", self.diagnosis)
        self.s3_url = f"http://127.0.0.1:{self.ports['s3']}"
        self.workers = {
            "a": Worker("a", "qa,qshared", self.home / "worker-a"),
            "b": Worker("b", "qb,qshared", self.home / "worker-b"),
        }
        self.output_root: str | None = None
        """What the workers run with as `[openai] output_root` (None: unset)."""
        now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        self.audit_start = now - timedelta(hours=AUDIT_HOURS)
        """The audit export DAG catches up the three hours from here to the last full hour."""
        self.isolation: list[str] = []
        """How the workers are kept apart on this machine (users, mount namespaces): for the summary."""
        self.installed: list[str] = []
        self._s3: Any = None

    # -- environment ---------------------------------------------------------------------------

    @property
    def db_url(self) -> str:
        return f"postgresql+psycopg2://airflow:{self.db_password}@127.0.0.1:{self.ports['postgres']}/airflow"

    def base_env(self) -> dict[str, str]:
        """This machine's basics, none of the caller's Airflow, OpenAI or AWS settings."""
        return {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AIRFLOW", "OPENAI_", "PYTEST", "_AIRFLOW", "AWS_"))
            and k not in ("VIRTUAL_ENV", "PYTHONPATH", "TMPDIR")
        }

    def env(self) -> dict[str, str]:
        """What every Airflow component sees (workers: `worker_env`)."""
        base = self.base_env()
        api = f"http://127.0.0.1:{self.ports['api']}"
        openai = {
            "conn_type": "openai_platform",
            "host": self.emulator.base_url,
            "password": PROJECT_KEY,
            "extra": {"admin_api_key": ADMIN_KEY},
        }
        aws = {
            "conn_type": "aws",
            "login": "e2e-access-key-id",
            "password": f"e2e-secret-{self.secrets['api'][:16]}",
            "extra": {"endpoint_url": self.s3_url, "region_name": "us-east-1"},
        }
        broker = f"redis://127.0.0.1:{self.ports['redis']}/0"
        return {
            **base,
            "PATH": f"{self.bin}{os.pathsep}{base.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(self.home / "pylib"),
            "HOME": str(self.control),
            "TMPDIR": str(self.control / "tmp"),
            "AIRFLOW_HOME": str(self.control),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.db_url,
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__PARALLELISM": "8",
            "AIRFLOW__CORE__FERNET_KEY": self.fernet_key,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.home / "dags"),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api}/execution/",
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "e2e_worker_identity.hostname",
            "AIRFLOW__API__PORT": str(self.ports["api"]),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__BASE_URL": api,
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__SECRET_KEY": self.secrets["api"],
            "AIRFLOW__API_AUTH__JWT_SECRET": self.secrets["jwt"],
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "15",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT),
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": "qa",
            "AIRFLOW__CELERY__BROKER_URL": broker,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{self.db_url}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            "AIRFLOW__LOGGING__REMOTE_LOGGING": "True",
            "AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER": f"s3://{BUCKET}/{LOGS_PREFIX}",
            "AIRFLOW__LOGGING__REMOTE_LOG_CONN_ID": AWS_CONN_ID,
            "AIRFLOW__LOGGING__TRIGGERER_LOG_SERVER_PORT": str(self.ports["triggerer_logs"]),
            "AIRFLOW_CONN_OPENAI_DEFAULT": json.dumps(openai),
            f"AIRFLOW_CONN_{AWS_CONN_ID.upper()}": json.dumps(aws),
            "E2E_S3_BUCKET": BUCKET,
            "E2E_AUDIT_START": self.audit_start.isoformat(),
        }

    def worker_env(self, worker: Worker) -> dict[str, str]:
        env = {
            **self.env(),
            "HOME": str(worker.root / "home"),
            "TMPDIR": str(worker.root / "tmp"),
            "AIRFLOW_HOME": str(worker.airflow_home),
            "E2E_WORKER_HOSTNAME": worker.hostname,
        }
        if self.output_root:
            env["AIRFLOW__OPENAI__OUTPUT_ROOT"] = self.output_root
        return env

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self, dag_ids: list[str], timeout: float = 420.0) -> DistributedDeployment:
        atexit.register(self.stop)
        started = time.monotonic()
        self.control.mkdir(mode=0o700)
        (self.control / "tmp").mkdir(mode=0o700)
        self.log_dir.mkdir(mode=0o700)
        self.installed = services.ensure_debian_packages(self.log_dir / "apt-get.log")
        self._lay_out()
        env = self.env()
        self._start_emulator(env)
        self._start_postgres()
        self._start_redis()
        self._start_s3()
        run_once([str(self.bin / "airflow"), "db", "migrate"], env, self.log_dir / "db-migrate.log", 300)
        airflow = str(self.bin / "airflow")
        self._add(
            "api-server",
            [airflow, "api-server", "--host", "127.0.0.1", "--port", str(self.ports["api"])],
            env,
        )
        for name in CONTROL_COMPONENTS:
            self._add(name, [airflow, name], env)
        for worker in self.workers.values():
            self._add(worker.component, self._worker_argv(worker), self.worker_env(worker))
        for name in ("api-server", *CONTROL_COMPONENTS, *(w.component for w in self.workers.values())):
            self.components[name].start()
        self.api.wait_healthy(timeout - (time.monotonic() - started), self.check_alive)
        for worker in self.workers.values():
            self.wait_worker_ready(worker, timeout - (time.monotonic() - started))
        self.api.wait_dags(dag_ids, timeout - (time.monotonic() - started))
        self.startup_seconds = time.monotonic() - started
        return self

    def _lay_out(self) -> None:
        """The folders every component shares read-only (DAGs, PYTHONPATH) and each worker's own."""
        dags = self.home / "dags"
        shutil.copytree(DAGS_SOURCE, dags, ignore=shutil.ignore_patterns("__pycache__"))
        for name in EXAMPLE_DAGS:
            shutil.copy(REPO / "src" / "airflow_openai" / "example_dags" / name, dags / name)
        shutil.copytree(PYLIB_SOURCE, self.home / "pylib", ignore=shutil.ignore_patterns("__pycache__"))
        for shared in (dags, self.home / "pylib"):
            for path in (shared, *shared.rglob("*")):
                path.chmod(0o755 if path.is_dir() else 0o644)
        hide = services.can_hide_folders()
        for worker in self.workers.values():
            worker.user = services.ensure_system_user(f"afworker_{worker.name}")
            for sub in ("", "home", "airflow", "tmp"):
                (worker.root / sub).mkdir(mode=0o700, exist_ok=True)
                os.chown(worker.root / sub, worker.user.pw_uid, worker.user.pw_gid)
            if hide:
                worker.hidden = [w.root for w in self.workers.values() if w is not worker] + [self.control]
        needed = [
            self.bin / "python",
            Path(sys.executable).resolve(),
            REPO / "src" / "airflow_openai" / "__init__.py",
        ]
        needed += [self.home / "dags" / name for name in EXAMPLE_DAGS]
        refused = services.user_can_read(self.workers["a"].user, needed)  # type: ignore[arg-type]
        if refused:
            # The checkout sits where other users cannot look (say, under /root): the workers run as
            # root then, kept apart by their mount namespaces alone.
            if not hide:
                raise RuntimeError(
                    f"the worker users cannot read {refused} and this machine gives no mount namespaces: "
                    "the workers could not be kept apart. Put the checkout where other users can read it."
                )
            for worker in self.workers.values():
                worker.user = None
        self.isolation = [
            "users afworker_a/afworker_b (0700 homes)"
            if self.workers["a"].user
            else "root (checkout unreadable by others)",
            "mount namespaces hiding the other worker's and the control plane's folders"
            if hide
            else "no mount namespaces",
        ]

    def _worker_argv(self, worker: Worker) -> list[str]:
        argv = [
            str(self.bin / "airflow"), "celery", "worker",
            "--queues", worker.queues,
            "--concurrency", "2",
            "--celery-hostname", f"{worker.name}@%h",
            "--skip-serve-logs",
            "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        if worker.user is not None:
            argv = [*services.as_user(worker.user), *argv]
        if worker.hidden:
            argv = [*services.hiding(worker.hidden), *argv]
        return argv

    def _start_emulator(self, env: dict[str, str]) -> None:
        data = self.home / "emulator"
        data.mkdir(mode=0o700)
        argv = [
            str(self.bin / "airflow-openai-emulator"),
            "--host", "127.0.0.1",
            "--port", str(self.ports["emulator"]),
            "--data-dir", str(data),
            "--speed", f"{EMULATOR_SPEED:g}",
        ]  # fmt: skip
        self._add("emulator", argv, env).start()
        self.emulator.wait_up(30)

    def _start_postgres(self) -> None:
        pg_bin = services.postgres_bin()
        assert pg_bin is not None
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            owner = services.ensure_system_user("postgres")
        root = self.home / "postgres"
        for sub in ("", "data", "run"):
            (root / sub).mkdir(mode=0o700, exist_ok=True)
            os.chown(root / sub, owner.pw_uid, owner.pw_gid)
        password_file = root / "password"
        password_file.write_text(self.db_password)
        os.chown(password_file, owner.pw_uid, owner.pw_gid)
        password_file.chmod(0o600)
        env = {**self.base_env(), "HOME": str(root), "LC_ALL": "C"}
        as_postgres = services.as_user(owner)
        initdb = [
            *as_postgres, str(pg_bin / "initdb"), "-D", str(root / "data"), "-U", "airflow",
            "--auth=scram-sha-256", f"--pwfile={password_file}", "-E", "UTF8", "--locale=C", "--no-sync",
        ]  # fmt: skip
        run_once(initdb, env, self.log_dir / "initdb.log", 180)
        password_file.unlink()
        server = [
            *as_postgres, str(pg_bin / "postgres"), "-D", str(root / "data"),
            "-p", str(self.ports["postgres"]), "-k", str(root / "run"),
            "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
        ]  # fmt: skip
        self._add("postgres", server, env).start()
        import psycopg2

        deadline = time.monotonic() + 60
        while True:
            try:
                conn = psycopg2.connect(
                    host="127.0.0.1",
                    port=self.ports["postgres"],
                    user="airflow",
                    password=self.db_password,
                    dbname="postgres",
                    connect_timeout=3,
                )
                break
            except psycopg2.OperationalError:
                self.check_alive()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("CREATE DATABASE airflow")
        conn.close()

    def _start_redis(self) -> None:
        data = self.home / "redis"
        data.mkdir(mode=0o700)
        argv = [
            shutil.which("redis-server") or "redis-server",
            "--port", str(self.ports["redis"]), "--bind", "127.0.0.1",
            "--dir", str(data), "--save", "", "--appendonly", "no", "--daemonize", "no",
        ]  # fmt: skip
        self._add("redis", argv, self.base_env()).start()
        _wait_for(lambda: _redis_ping(self.ports["redis"]), 30, "redis", self.check_alive)

    def _start_s3(self) -> None:
        argv = [str(self.bin / "moto_server"), "-H", "127.0.0.1", "-p", str(self.ports["s3"])]
        self._add("s3", argv, {**self.base_env(), "HOME": str(self.control)}).start()
        _wait_for(lambda: _http_up(self.s3_url), 60, "the S3 server", self.check_alive)
        self.s3.create_bucket(Bucket=BUCKET)

    def _add(self, name: str, argv: list[str], env: dict[str, str]) -> Component:
        component = Component(name, argv, env, self.log_dir)
        self.components[name] = component
        return component

    def check_alive(self) -> None:
        dead = [name for name, c in self.components.items() if c.process is not None and not c.running]
        if dead:
            raise AssertionError(f"components exited: {dead}\n\n{self.diagnosis()}")

    def wait_worker_ready(self, worker: Worker, timeout: float) -> None:
        """Until the worker's Celery says it is ready (in its log, after its latest start)."""
        component = self.components[worker.component]
        marker = f"===== start #{component.starts}:"

        def ready() -> bool:
            self.check_alive()
            text = component.log_path.read_text(errors="replace")
            return " ready." in text.rpartition(marker)[2]

        _wait_for(ready, timeout, f"worker {worker.name}", lambda: None)

    def stop(self) -> None:
        """Stop every process group this deployment started (workers first, the emulator last)."""
        for name in reversed(list(self.components)):
            component = self.components[name]
            if name == "postgres" and component.running:
                component.kill(signal.SIGINT)  # a fast shutdown: clients are gone by now
            component.stop()
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

    def start_worker(self, worker: Worker, timeout: float = 180) -> None:
        component = self.components[worker.component]
        if component.running:
            component.stop(grace=30)
        component.env = self.worker_env(worker)
        component.start()
        self.wait_worker_ready(worker, timeout)

    def set_output_root(self, root: str | None) -> None:
        """Restart both workers with `[openai] output_root` set to `root` (or unset)."""
        if root == self.output_root:
            return
        self.output_root = root
        for worker in self.workers.values():
            component = self.components[worker.component]
            if component.running:
                component.stop(grace=30)
        for worker in self.workers.values():
            self.start_worker(worker)

    def worker_processes(self, worker: Worker) -> list[int]:
        """PIDs of processes running as the worker's user (none once its group is killed)."""
        if worker.user is None:
            return []
        found = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                uid_line = next(line for line in status.read_text().splitlines() if line.startswith("Uid:"))
            except (OSError, StopIteration):
                continue
            if int(uid_line.split()[1]) == worker.user.pw_uid:
                found.append(int(status.parent.name))
        return found

    # -- object storage ------------------------------------------------------------------------

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            import boto3

            self._s3 = boto3.client(
                "s3",
                endpoint_url=self.s3_url,
                region_name="us-east-1",
                aws_access_key_id="e2e-harness",
                aws_secret_access_key="e2e-harness-secret",
            )
        return self._s3

    def s3_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)

    def s3_read(self, uri: str) -> bytes:
        """An object by its URI as the tasks name it (`s3://conn@bucket/key` or `s3://bucket/key`)."""
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        assert bucket.rpartition("@")[2] == BUCKET, uri
        return self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()

    def s3_put(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)

    # -- diagnosis -----------------------------------------------------------------------------

    def diagnosis(self, lines: int = 30) -> str:
        return "".join(c.tail(lines) for c in self.components.values())


def _fernet_key() -> str:
    import base64

    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _wait_for(check: Any, timeout: float, what: str, alive: Any) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        alive()
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} was not up within {timeout:.0f}s")
        time.sleep(0.3)


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _http_up(url: str) -> bool:
    import httpx

    try:
        httpx.get(url, timeout=2)
        return True
    except httpx.HTTPError:
        return False
