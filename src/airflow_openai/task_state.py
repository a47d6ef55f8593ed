"""Reading a task instance's current state from inside a running task or trigger.

Both a worker's task process and a triggerer's trigger runner talk to Airflow through the
supervisor channel; `GetTaskStates` is answered in both. Outside Airflow (a script, a
unit test) there is no channel and the state is unknown.
"""

from __future__ import annotations

import threading
from typing import Any

TaskState = tuple[bool, str | None]
"""Whether the state could be read, and the state (None is a real state: waiting to be scheduled)."""
UNKNOWN: TaskState = (False, None)


def _key(task_id: str, map_index: int | None) -> str:
    return task_id if map_index is None or map_index < 0 else f"{task_id}_{map_index}"


def _pick(states: dict[str, Any], run_id: str, task_id: str, map_index: int | None) -> TaskState:
    run = states.get(run_id) or {}
    key = _key(task_id, map_index)
    return (True, run[key]) if key in run else UNKNOWN


def _request(dag_id: str, task_id: str, run_id: str, map_index: int | None) -> Any:
    from airflow.sdk.execution_time.comms import GetTaskStates

    mapped = map_index if map_index is not None and map_index >= 0 else None
    return GetTaskStates(dag_id=dag_id, task_ids=[task_id], run_ids=[run_id], map_index=mapped)


ASK_TIMEOUT = 2.0
"""Seconds a worker's `on_kill` waits for the state. It runs in the SIGTERM handler, on the main
thread, which may itself be inside a call on the same channel: the question goes from another
thread, and no answer in time means the state is unknown rather than a hung kill."""


def current_state(dag_id: str, task_id: str, run_id: str, map_index: int | None = -1) -> TaskState:
    """The task instance's state now, or `UNKNOWN` where it cannot be read within `ASK_TIMEOUT`."""
    answer: list[TaskState] = []

    def ask() -> None:
        try:
            from airflow.sdk.execution_time import task_runner

            comms = getattr(task_runner, "SUPERVISOR_COMMS", None)
            if comms is not None:
                result = comms.send(_request(dag_id, task_id, run_id, map_index))
                answer.append(_pick(result.task_states, run_id, task_id, map_index))
        except Exception:  # an older Airflow, or no supervisor: the caller decides without the state
            pass

    asking = threading.Thread(target=ask, name="openai-task-state", daemon=True)
    asking.start()
    asking.join(ASK_TIMEOUT)
    return answer[0] if answer else UNKNOWN


async def acurrent_state(dag_id: str, task_id: str, run_id: str, map_index: int | None = -1) -> TaskState:
    """`current_state` from an event loop (a trigger), without blocking it."""
    try:
        from airflow.sdk.execution_time import task_runner

        comms = getattr(task_runner, "SUPERVISOR_COMMS", None)
        if comms is None:
            return UNKNOWN
        answer = await comms.asend(_request(dag_id, task_id, run_id, map_index))
        return _pick(answer.task_states, run_id, task_id, map_index)
    except Exception:
        return UNKNOWN
