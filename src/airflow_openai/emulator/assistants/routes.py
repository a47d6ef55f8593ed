"""The Assistants API's routes in one router: assistants, threads, messages, runs and run steps
(retrieving and modifying a message or a run: `routes_thread_objects`).

Runs come before threads so that `POST /threads/runs` (create a thread and run it) is not
read as `POST /threads/{thread_id}` for a thread named `runs`.
"""

from __future__ import annotations

from fastapi import APIRouter

from airflow_openai.emulator.assistants import (
    routes_assistants as assistants,
)
from airflow_openai.emulator.assistants import (
    routes_messages as messages,
)
from airflow_openai.emulator.assistants import (
    routes_runs as runs,
)
from airflow_openai.emulator.assistants import (
    routes_thread_objects as thread_objects,
)
from airflow_openai.emulator.assistants import (
    routes_threads as threads,
)

router = APIRouter()
for part in (assistants.router, runs.router, threads.router, messages.router, thread_objects.router):
    router.include_router(part)
