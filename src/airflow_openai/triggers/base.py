"""What every wait of this provider in the triggerer shares.

Only the connection id and plain values are serialized, so no key ever reaches the trigger
table. The wait's shape is the same for batches, fine-tuning jobs and file batches: when it
began (it paces the polls), an optional deadline, the poll pacing, and whether a kill of the
task may cancel what it waits for. Triggers that start together (a triggerer restarting
with hundreds of them) would otherwise poll together for ever: the first poll comes at a
random moment within the first interval, and each later one up to a tenth early. A kill
cancels only when Airflow says the task is really being stopped.
"""

from __future__ import annotations

import random
import time
from typing import Any

from airflow.triggers.base import BaseTrigger

from airflow_openai.pacing import PollPacing
from airflow_openai.stopping import KillVerdict, kill_verdict
from airflow_openai.task_state import UNKNOWN, acurrent_state


class OpenAIWaitTrigger(BaseTrigger):
    def __init__(
        self,
        openai_conn_id: str = "openai_default",
        started_at: float | None = None,
        deadline: float | None = None,
        pacing: dict[str, float] | None = None,
        cancel_on_kill: bool = True,
    ) -> None:
        super().__init__()
        self.openai_conn_id = openai_conn_id
        self.started_at = started_at or time.time()
        self.deadline = deadline
        self.pacing = dict(pacing or PollPacing().to_dict())
        self.cancel_on_kill = cancel_on_kill

    def own_kwargs(self) -> dict[str, Any]:
        """What this trigger waits for, as plain values (the ids); the wait's shape is added to it."""
        raise NotImplementedError

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                **self.own_kwargs(),
                "openai_conn_id": self.openai_conn_id,
                "started_at": self.started_at,
                "deadline": self.deadline,
                "pacing": self.pacing,
                "cancel_on_kill": self.cancel_on_kill,
            },
        )

    def _hook(self) -> Any:
        from airflow_openai.hooks.openai import OpenAIHook

        return OpenAIHook(self.openai_conn_id)

    def _spread(self, most: float) -> float:
        """A random wait of up to `most` seconds, never past the deadline."""
        if self.deadline is not None:
            most = min(most, max(self.deadline - time.time(), 0.0))
        return random.uniform(0.0, most)

    async def _kill_verdict(self) -> KillVerdict:
        ti = self.task_instance
        if ti is None:
            return kill_verdict(*UNKNOWN)
        return kill_verdict(
            *await acurrent_state(ti.dag_id, ti.task_id, ti.run_id, getattr(ti, "map_index", -1))
        )

    async def _may_cancel(self, what: str) -> bool:
        """Whether `on_kill` cancels `what`; one log line says so when it does not, and why."""
        if not self.cancel_on_kill:
            self.log.info("Not cancelling %s: cancel_on_kill is off", what)
            return False
        verdict = await self._kill_verdict()
        if not verdict.cancel:
            self.log.info("Not cancelling %s: %s", what, verdict.why)
            return False
        self.log.info("Cancelling %s: %s", what, verdict.why)
        return True
