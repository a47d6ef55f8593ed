"""What the provider's sensors share: one job of a kind watched, in poke, reschedule or deferrable
mode, through the engine (the job kind's plug-in reads and assesses it; the trigger waits in the
triggerer).

A sensor only watches: it never cancels what it waits for. A job id that is not UTF-8 text fails
the task without a retry (`fails_unsendable_text`). A poke that cannot reach the API
counts as "not yet" until no poke has reached it for `outage_budget` seconds (in reschedule
mode too: the count is kept in the task state store between pokes). Past `timeout` it fails
with `AirflowSensorTimeout` in every mode, deferrable included, so it is not retried and
`soft_fail=True` skips the task instead.
"""

from __future__ import annotations

import time
from functools import cached_property
from typing import Any, ClassVar

from airflow.sdk import BaseSensorOperator, PokeReturnValue, conf
from airflow.sdk.exceptions import AirflowException, AirflowSensorTimeout

from airflow_openai.operators.base import fails_unsendable_text
from airflow_openai.outage import DEFAULT_OUTAGE_BUDGET, waited_out
from airflow_openai.sensors.outage_memory import OutageMemory


class OpenAIBaseSensor(BaseSensorOperator):
    """Base of the OpenAI sensors: a subclass names its job kind and says which job (`ref`).

    With `deferrable`, the first poke runs in the worker (a finished job returns at once) and
    the wait goes on in the triggerer, polled at `poke_interval` at first and paced by the
    job's age.

    :param openai_conn_id: the OpenAI connection.
    :param deferrable: wait in the triggerer instead of a worker slot.
    :param outage_budget: seconds without a successful poll before the sensor gives up (30 minutes).
    """

    kind_name: ClassVar[str]
    ref_fields: ClassVar[dict[str, str]]
    """How the job's `ref` is read from the (rendered) template fields: ``{"ids": "batch_id"}``
    names the attribute holding the job's id, and any other entry one the kind's calls need."""
    failure_type: ClassVar[type[Exception]] = AirflowException
    """What a job that failed raises: a run that ended badly stays so, and is not retried."""

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

    @property
    def plugin(self) -> Any:
        from airflow_openai.engine.registry import kind

        return kind(self.kind_name)

    def ref(self) -> dict[str, Any]:
        """The job watched, as its kind names it (from the rendered template fields)."""
        ref = {name: str(getattr(self, attribute)) for name, attribute in self.ref_fields.items()}
        return {**ref, "ids": [ref["ids"]]}

    @property
    def _key(self) -> str:
        return str(self.ref()["ids"][0])

    @property
    def _what(self) -> str:
        return str(self.plugin.name_of(self.ref(), self._key))

    # -- what a kind may add ---------------------------------------------------------------------------

    def seen(self, context: Any, obj: Any) -> None:
        """After each successful read (a fine-tuning job's events go to the log here)."""

    def failure(self, message: str, status: str, outcome: str) -> Exception:
        """The error a failed job (or one waiting on what a sensor cannot give) ends the task with."""
        return self.failure_type(message)

    def check_succeeded(self, obj: Any) -> None:
        """Raise when a job that finished well is still not good enough (too many failed files)."""

    def _seen_before_failing(self, context: Any) -> None:
        """What explains a failure (a fine-tuning job's last events) goes to the log first, best
        effort: the failure is reported whether or not the API answers now."""
        try:
            self.seen(context, self.read())
        except Exception as exc:
            self.log.warning("Could not read %s once more before failing: %s", self._what, exc)

    # -- the wait ----------------------------------------------------------------------------------------

    def read(self) -> Any:
        return self.plugin.read(self.hook, self.ref(), self._key)

    @fails_unsendable_text
    def poke(self, context: Any) -> PokeReturnValue:
        from airflow_openai.engine.watch import PollCounts
        from airflow_openai.metrics import emit_polls, poll_tags

        obj = self._outage.read(context, self.read, self._what, self.log)
        emit_polls(
            poll_tags(self.plugin.name, self.hook, self), PollCounts(int(obj is not None), int(obj is None))
        )
        if obj is None:
            return PokeReturnValue(is_done=False)
        self.seen(context, obj)
        assessment = self.plugin.assess(obj)
        self.log.info(assessment.message)
        if assessment.outcome in ("failed", "action"):
            raise self.failure(assessment.message, assessment.status, assessment.outcome)
        if assessment.outcome == "succeeded":
            self.check_succeeded(obj)
            return PokeReturnValue(is_done=True, xcom_value=obj.to_dict())
        return PokeReturnValue(is_done=False)

    def execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)
        first = self.poke(context)
        if first.is_done:
            return first.xcom_value
        from airflow_openai.pacing import PollPacing
        from airflow_openai.triggers.job import OpenAIJobTrigger

        deadline = time.time() + self.timeout if self.timeout else None
        pacing = PollPacing(
            minimum=self.poke_interval,
            maximum=max(self.plugin.pacing.maximum, self.poke_interval),
            outage_budget=self.outage_budget,
        )
        trigger = OpenAIJobTrigger(
            self.kind_name,
            self.ref(),
            self.openai_conn_id,
            deadline=deadline,
            pacing=pacing.to_dict(),
            cancel_on_kill=False,
        )
        self.defer(trigger=trigger, method_name="execute_complete")

    @fails_unsendable_text
    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        last = event.get("statuses", {}).get(self._key, "not seen yet")
        if event["status"] == "timeout":
            what = self._what
            raise AirflowSensorTimeout(
                f"{what[0].upper()}{what[1:]} did not finish within the sensor's timeout of "
                f"{self.timeout:g} s (its last status: {last})"
            )
        ended = f"Waiting for {self._what} ended with {event['status']}: {event['message']}"
        if event["status"] != "success":
            self._seen_before_failing(context)
        if event["status"] in ("failed", "action"):
            raise self.failure(
                event["message"] if event["status"] == "action" else ended, last, event["status"]
            )
        if event["status"] != "success":
            raise AirflowException(ended)
        obj = waited_out(self.read, f"Reading {self._what}", budget=self.outage_budget)
        self.seen(context, obj)
        self.check_succeeded(obj)
        return obj.to_dict()
