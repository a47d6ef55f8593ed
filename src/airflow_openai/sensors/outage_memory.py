"""A sensor's pokes through an API outage: "not yet" until the outage outlasts its budget.

In reschedule mode every poke runs in a process of its own, so an outage counted on the
sensor object would start afresh at each poke and never end the wait. The count is kept in
the task state store too, so it spans the pokes of one try whatever the mode.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from airflow.sdk.exceptions import AirflowException

from airflow_openai.outage import Outage, is_outage
from airflow_openai.records import record_store
from airflow_openai.sensors.record import SensorRecord

T = TypeVar("T")


class OutageMemory:
    def __init__(self, budget: float) -> None:
        self.budget = budget
        self._outage: Outage | None = None

    def read(self, context: Any, read: Callable[[], T], what: str, log: Any) -> T | None:
        """`read()`'s answer, or None when the API could not be reached (the poke says "not yet");
        raises once no poke has reached it for the budget, naming `what` was waited for."""
        kept = record_store(context, SensorRecord)
        if self._outage is None:
            self._outage = Outage.restore(self.budget, kept.read().outage)
        outage = self._outage
        try:
            value = read()
        except Exception as exc:
            if not is_outage(exc):
                raise
            line = outage.poll_failed(what, exc, time.time())
            kept.update(outage=outage.to_dict())
            if outage.exhausted(time.time()):
                raise AirflowException(f"Stopped waiting for {what}: {outage.describe(time.time())}") from exc
            log.warning(line)
            return None
        if outage.ongoing:
            outage.succeeded(time.time())
            kept.update(outage=outage.to_dict())
        return value
