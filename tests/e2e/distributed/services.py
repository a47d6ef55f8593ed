"""What the distributed profile needs from the machine, installed and started by the harness alone.

Debian packages (`postgresql`, `redis-server`) are installed with apt-get only when missing, with
services kept from starting (a `policy-rc.d` for the install, removed after, when none is there).
The worker users are system users made once and reused. PostgreSQL, Redis and the S3 server run
as components of the deployment (`tests/e2e/processes.py`): each in its own process group, on a
free loopback port, with its data under the run's folder; nothing the machine already runs is
touched.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path

POLICY_RC_D = Path("/usr/sbin/policy-rc.d")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server's bin folder (Debian: /usr/lib/postgresql/<major>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def ensure_debian_packages(log_path: Path) -> list[str]:
    """apt-get install what is missing (`postgresql`, `redis-server`); returns what was installed."""
    missing = []
    if postgres_bin() is None:
        missing.append("postgresql")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    if not missing:
        return []
    if os.geteuid() != 0:
        raise RuntimeError(f"the distributed profile needs {missing}: install them (apt-get) or run as root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    made_policy = not POLICY_RC_D.exists()
    if made_policy:  # the packages' own services must not start: the harness starts its own
        POLICY_RC_D.write_text("#!/bin/sh\nexit 101\n")
        POLICY_RC_D.chmod(0o755)
    try:
        with log_path.open("ab") as log:
            for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
                subprocess.run(argv, env=env, stdout=log, stderr=subprocess.STDOUT, check=True, timeout=600)
    finally:
        if made_policy:
            with contextlib.suppress(FileNotFoundError):
                POLICY_RC_D.unlink()
    if postgres_bin() is None or shutil.which("redis-server") is None:
        raise RuntimeError(
            f"apt-get install {missing} did not provide initdb and redis-server; see {log_path}"
        )
    return missing


def ensure_system_user(name: str) -> pwd.struct_passwd:
    """A system user with no home and no login shell, made once and reused by later runs."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    subprocess.run(
        [
            "useradd", "--system", "--user-group", "--no-create-home",
            "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name,
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return pwd.getpwnam(name)


def as_user(user: pwd.struct_passwd) -> list[str]:
    """The prefix that runs a command as `user` (no supplementary groups), keeping the environment;
    it is SIGTERMed when the harness goes (the parent-death signal is lost with the uid change)."""
    return [
        "setpriv",
        f"--reuid={user.pw_uid}",
        f"--regid={user.pw_gid}",
        "--clear-groups",
        "--pdeathsig=TERM",
        "--",
    ]


def can_hide_folders() -> bool:
    """Whether this machine lets the harness give a process a mount namespace of its own (root,
    CAP_SYS_ADMIN): then a worker's view can have the other workers' folders covered."""
    try:
        result = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "--", "true"], capture_output=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def hiding(folders: list[Path]) -> list[str]:
    """The prefix that runs a command in a mount namespace of its own where each of `folders` is
    covered by an empty read-only tmpfs: for that command they hold nothing (ENOENT inside),
    as on another machine."""
    body = (
        'while [ "$1" != -- ]; do mount -t tmpfs -o ro,size=64k,mode=0755 e2e-elsewhere "$1" || exit 97; shift; done; '
        'shift; exec "$@"'
    )
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        body,
        "hide",
        *map(str, folders),
        "--",
    ]


def user_can_read(user: pwd.struct_passwd, paths: list[Path]) -> list[Path]:
    """The paths `user` could not read (or, for a folder, look into)."""
    refused = []
    for path in paths:
        flag = "-x" if path.is_dir() else "-r"
        result = subprocess.run([*as_user(user), "test", flag, str(path)], capture_output=True)
        if result.returncode != 0:
            refused.append(path)
    return refused
