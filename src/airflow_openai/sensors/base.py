"""What the provider's sensors share: a connection id, a hook built on first use, an outage
counted across pokes, and the deferrable mode (one poke in the worker, then the trigger)."""

from __future__ import annotations

import time
from functools import cached_property
from typing import Any

from airflow.sdk import BaseSensorOperator, conf

from airflow_openai.outage import DEFAULT_OUTAGE_BUDGET
from airflow_openai.sensors.outage_memory import OutageMemory


class OpenAIBaseSensor(BaseSensorOperator):
    """Base of the OpenAI sensors.

    With `deferrable`, the first poke runs in the worker (a finished object returns at once)
    and the wait goes on in the triggerer, polled at `poke_interval` and paced by its age; the
    trigger never cancels what a sensor watches.

    :param openai_conn_id: the OpenAI connection.
    :param deferrable: wait in the triggerer instead of a worker slot.
    :param outage_budget: seconds without a successful poll before the sensor gives up (30 minutes).
    """

    def __init__(
        self,
        *,
        openai_conn_id: str = "openai_default",
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        outage_budget: float = DEFAULT_OUTAGE_BUDGET,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.openai_conn_id = openai_conn_id
        self.deferrable = deferrable
        self.outage_budget = outage_budget
        self._outage = OutageMemory(outage_budget)

    @cached_property
    def hook(self) -> Any:
        from airflow_openai.hooks.openai import OpenAIHook

        return OpenAIHook(self.openai_conn_id)

    def make_trigger(self, context: Any, deadline: float | None, pacing: dict[str, float]) -> Any:
        """The trigger that waits on in the triggerer (with `cancel_on_kill=False`)."""
        raise NotImplementedError

    def execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)
        first: Any = self.poke(context)  # the provider's pokes answer a PokeReturnValue
        if first.is_done:
            return first.xcom_value
        from airflow_openai.pacing import PollPacing

        deadline = time.time() + self.timeout if self.timeout else None
        pacing = PollPacing(minimum=self.poke_interval, outage_budget=self.outage_budget).to_dict()
        self.defer(trigger=self.make_trigger(context, deadline, pacing), method_name="execute_complete")
