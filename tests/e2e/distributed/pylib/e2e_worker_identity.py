"""`[core] hostname_callable` of the distributed profile (on PYTHONPATH for every component).

Two Celery workers on one machine would both report its name, so a task instance could not say
which of them ran it. Each worker gets the name its harness gave it (`E2E_WORKER_HOSTNAME`), as
it would have on a machine of its own; the other components keep the machine's name.
"""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    return os.environ.get("E2E_WORKER_HOSTNAME") or socket.getfqdn()
