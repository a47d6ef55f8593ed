"""Child processes the harness owns: each in its own session (process group), output kept in a file.

A component of the deployment (the emulator, the api-server, the scheduler...) starts with
`start_new_session=True`, so it and every process it forks share one process group whose
id is its PID. Stopping it signals that group and nothing else: no search by name, and
nothing another user started on the machine is touched. If the harness itself dies
without cleaning up, the kernel sends the component SIGTERM (`PR_SET_PDEATHSIG`), so a
killed test run does not leave a scheduler behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it when the harness goes away."""
    with contextlib.suppress(Exception):  # not Linux, or no libc: cleanup then relies on the harness alone
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Component:
    """One long-running process of the deployment, started and stopped by the harness only."""

    def __init__(self, name: str, argv: Sequence[str], env: Mapping[str, str], log_dir: Path) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> Component:
        self.starts += 1
        log = self.log_path.open("ab")
        log.write(f"\n===== start #{self.starts}: {' '.join(self.argv)}\n".encode())
        log.flush()
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.env.get("AIRFLOW_HOME"),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        log.close()  # the child holds its own descriptor
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """Signal the whole process group (a triggerer's supervisor and its children alike)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        if sig == signal.SIGKILL:
            self.process.wait(30)

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM the group, then SIGKILL what is left after `grace` seconds."""
        if self.process is None:
            return
        pgid = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and _group_alive(pgid):
            self.process.poll()
            time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        self.process = None

    def tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return f"--- {self.name}: no log\n"
        text = self.log_path.read_bytes()[-200_000:].decode(errors="replace").splitlines()
        return f"--- {self.name} ({self.log_path}), last {lines} lines:\n" + "\n".join(text[-lines:]) + "\n"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_once(argv: Sequence[str], env: Mapping[str, str], log_path: Path, timeout: float) -> None:
    """A one-off command (`airflow db migrate`) with its output appended to `log_path`; fails with its tail."""
    with log_path.open("ab") as log:
        result = subprocess.run(
            list(argv),
            env=dict(env),
            cwd=env.get("AIRFLOW_HOME"),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            start_new_session=True,
            preexec_fn=_die_with_parent,
            check=False,
        )
    if result.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-40:])
        raise RuntimeError(f"{' '.join(argv)} exited with {result.returncode}:\n{tail}")
