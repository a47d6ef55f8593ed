"""What the four job operators share: a remote job waited on in the worker or the triggerer,
ended by one timeout rule, and cancelled only when the task is really being stopped.

A subclass creates (or reattaches to) its jobs, then calls `wait_for(context, ref, ...)` with
the job kind's `ref`; the wait runs in the worker (the engine's blocking driver) or defers to
`OpenAIJobTrigger`, and either way ends in the same event, handed to the subclass's `finish`
(success, failure, a call for action). Timeouts, outages and kills are settled here, once:

- a timeout with `cancel_on_timeout` cancels the jobs and fails the task without a retry,
  since a retry would find them cancelled and pay for new ones; without it the task fails,
  the jobs keep running, and a retry reattaches to them;
- an outage past its budget fails the attempt, the jobs keep running, and a retry reattaches;
- a kill cancels the jobs only when the task was marked failed or its attempt ends while it
  runs (`execution_timeout`, a worker shutdown), never when it was cleared or marked success.
"""

from __future__ import annotations

from typing import Any, ClassVar

from airflow.sdk import conf
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_openai.operators.base import OpenAIBaseOperator
from airflow_openai.outage import DEFAULT_OUTAGE_BUDGET
from airflow_openai.records import RecordStore, TaskRecord, record_store


class OpenAIJobOperator(OpenAIBaseOperator):
    """Base of the operators that create a remote job and wait for it.

    :param deferrable: wait in the triggerer instead of a worker slot (default from
        ``[operators] default_deferrable``).
    :param poll_interval: shortest wait between status polls, in seconds (default: the operator's
        `default_poll_interval`); a tenth of the job's age after that, shortened when its progress
        says it is about to finish.
    :param max_poll_interval: longest wait between polls, in seconds (`default_max_poll_interval`).
    :param timeout: seconds to wait before giving up (None: no limit).
    :param cancel_on_timeout: cancel the jobs when ``timeout`` passes; the task then fails without
        a retry, since a retry would pay for new jobs.
    :param cancel_on_kill: cancel the jobs when the task is really stopped (marked failed); a
        cleared task's next try reattaches instead, and marking success leaves them be.
    :param outage_budget: seconds without a successful call to the API before a wait (or a step
        that must reach the API) gives up; calls back off meanwhile (default 30 minutes).
    """

    kind_name: ClassVar[str]
    record_type: ClassVar[type[TaskRecord]]
    """What the operator keeps for its next try, in the task state store."""
    default_poll_interval: ClassVar[float] = 5.0
    default_max_poll_interval: ClassVar[float] = 3600.0

    def __init__(
        self,
        *,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float | None = None,
        max_poll_interval: float | None = None,
        timeout: float | None = None,
        cancel_on_timeout: bool = True,
        cancel_on_kill: bool = True,
        outage_budget: float = DEFAULT_OUTAGE_BUDGET,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.deferrable = deferrable
        self.poll_interval = self.default_poll_interval if poll_interval is None else poll_interval
        self.max_poll_interval = (
            self.default_max_poll_interval if max_poll_interval is None else max_poll_interval
        )
        self.timeout = timeout
        self.cancel_on_timeout = cancel_on_timeout
        self.cancel_on_kill = cancel_on_kill
        self.outage_budget = outage_budget
        self._identity: Any = None
        self._ref: dict[str, Any] | None = None
        self._killed: str | None = None
        self._memory: RecordStore[Any] | None = None

    def record(self, context: Any) -> RecordStore[Any]:
        """This task instance's record (see `airflow_openai.records`), in its task state store;
        without one (`execute` called from a script or a test), in memory for this operator."""
        if context.get("task_state_store") is not None:
            return record_store(context, self.record_type)
        if self._memory is None:
            self._memory = record_store(context, self.record_type)
        return self._memory

    @property
    def plugin(self) -> Any:
        from airflow_openai.engine.registry import kind

        return kind(self.kind_name)

    # -- what a subclass gives ---------------------------------------------------------------------------

    def finish(self, context: Any, event: dict[str, Any], resume: dict[str, Any]) -> Any:
        """The wait ended with `event` (``success``, ``failed`` or ``action``): collect, or fail.
        `resume` holds the plain values `wait_for` was given for this moment."""
        raise NotImplementedError

    def after_poll(self, context: Any, ref: dict[str, Any]) -> Any:
        """A callable run after each poll of the worker's wait, or None (fine-tuning logs its events)."""
        return None

    # -- the wait ------------------------------------------------------------------------------------------

    def remember_task(self, context: Any) -> None:
        """Who this task instance is: `on_kill` asks Airflow for its state by it."""
        from airflow_openai.batch.identity import TaskIdentity

        self._identity = TaskIdentity.from_context(context)

    def wait_for(
        self, context: Any, ref: dict[str, Any], *, started_at: float, resume: dict[str, Any] | None = None
    ) -> Any:
        """Wait for the jobs of `ref`, here or in the triggerer, then `finish` (with `resume`, plain
        values carried through a deferral). `started_at`, on this worker's clock as the timeout
        is, paces the polls and starts the timeout."""
        from airflow_openai.pacing import PollPacing

        self._ref = ref
        pacing = PollPacing(
            minimum=self.poll_interval, maximum=self.max_poll_interval, outage_budget=self.outage_budget
        )
        deadline = started_at + self.timeout if self.timeout else None
        if self.deferrable:
            from airflow_openai.triggers.job import OpenAIJobTrigger

            trigger = OpenAIJobTrigger(
                self.kind_name,
                ref,
                self.openai_conn_id,
                started_at=started_at,
                deadline=deadline,
                pacing=pacing.to_dict(),
                cancel_on_kill=self.cancel_on_kill,
            )
            self.defer(trigger=trigger, method_name="execute_complete", kwargs=resume)
        from airflow_openai.engine.blocking import wait
        from airflow_openai.hooks.openai import OpenAIHook

        with OpenAIHook(self.openai_conn_id, max_retries=0) as polls:  # the outage budget retries polls
            ended, _ = wait(
                polls,
                self.plugin,
                ref,
                pacing=pacing,
                started_at=started_at,
                deadline=deadline,
                after_poll=self.after_poll(context, ref),
                on_progress=self._progress,
                log=self.log,
                task=self,
            )
        return self.ended(context, ended, resume or {})

    def _progress(self, assessment: Any) -> None:
        """A wait's line for a change it saw. A job this task cancelled as it was killed (in a signal
        handler, while the wait polled) is said to be cancelled by the task, not by someone else."""
        if self._killed is not None and assessment.status in ("cancelling", "cancelled"):
            head = str(assessment.message).split(": ", 1)[0].split(" was cancelled outside", 1)[0]
            self.log.info("%s: this task cancelled it when it was killed (%s)", head, self._killed)
            return
        self.log.info(assessment.message)

    resumed = False
    """True in the process that resumes the task after a deferral."""

    def execute_complete(self, context: Any, event: dict[str, Any], **resume: Any) -> Any:
        """Resume after the trigger fired: the same ending as a wait in the worker."""
        self.resumed = True  # what the first process said (a warning, say) is not said again
        self.remember_task(context)
        self._ref = self.plugin.ref_of(event)
        return self.ended(context, event, resume)

    def ended(self, context: Any, event: dict[str, Any], resume: dict[str, Any]) -> Any:
        ref = self.plugin.ref_of(event)
        what = self.plugin.describe(ref)
        if event["status"] == "timeout":
            self.timed_out(context, ref)
        many = len(self.plugin.keys(ref)) > 1
        if event["status"] == "error":
            keeps, them = ("keep", "them") if many else ("keeps", "it")
            raise AirflowException(
                f"{event['message']}; {what} {keeps} running, and a retry reattaches to {them}"
            )
        if event["status"] == "failed" and self._killed is not None:
            were = "were" if many else "was"
            raise AirflowException(f"The task was killed ({self._killed}); {what} {were} cancelled")
        return self.finish(context, event, resume)

    def timed_out(self, context: Any, ref: dict[str, Any]) -> None:
        """The one timeout rule: cancel and fail for good, or fail and leave the jobs running.

        A job that could not be cancelled (the API down, say) is still running and billing: then
        the task fails with a retry, which reattaches to it."""
        what = _capital(self.plugin.describe(ref))
        many = len(self.plugin.keys(ref)) > 1
        if self.cancel_on_timeout:
            running = self.cancel(ref, "the timeout passed")
            if running:
                raise AirflowException(
                    f"{what} did not finish within {self.timeout:g}s, and {', '.join(running)} could not "
                    "be cancelled: it keeps running, and a retry reattaches to it"
                )
            raise AirflowFailException(
                f"{what} did not finish within {self.timeout:g}s; {'they were' if many else 'it was'} "
                "cancelled, and the task is not retried, since a retry would pay again"
            )
        raise AirflowException(
            f"{what} did not finish within {self.timeout:g}s; {'they keep' if many else 'it keeps'} running "
            f"(cancel_on_timeout is off), and a retry reattaches to {'them' if many else 'it'}"
        )

    def cancel(self, ref: dict[str, Any], why: str) -> list[str]:
        """Cancel every job of `ref`, each tried however the others went; returns the ids of those
        that could not be cancelled and are not finished either (the API down, say)."""
        plugin = self.plugin
        running = []
        for key in plugin.keys(ref):
            try:
                obj = plugin.cancel(self.hook, ref, key)
                self.log.info("Cancelled %s because %s (now %s)", plugin.name_of(ref, key), why, obj.status)
            except Exception as exc:
                self.log.warning("Could not cancel %s: %s", plugin.name_of(ref, key), exc)
                if not self._finished(ref, key):
                    running.append(key)
        return running

    def _finished(self, ref: dict[str, Any], key: str) -> bool:
        """Whether a job that refused to be cancelled has ended anyway (one read, best effort)."""
        try:
            return bool(self.plugin.assess(self.plugin.read(self.hook, ref, key)).finished)
        except Exception:
            return False

    def on_kill(self) -> None:
        """Airflow ends the attempt: cancel the jobs only if the task is really being stopped
        (marked failed, or ended while running), not when it was cleared (the next try
        reattaches) or marked success. One line says which, and why."""
        from airflow_openai.stopping import kill_verdict
        from airflow_openai.task_state import UNKNOWN, current_state

        ref = self._ref
        if ref is None or not self.plugin.keys(ref):
            return
        what = self.plugin.describe(ref)
        if not self.cancel_on_kill:
            self.log.info("Not cancelling %s: cancel_on_kill is off", what)
            return
        identity = self._identity
        state = UNKNOWN
        if identity is not None:
            state = current_state(identity.dag_id, identity.task_id, identity.run_id, identity.map_index)
        verdict = kill_verdict(*state, in_worker=True)
        if not verdict.cancel:
            self.log.info("Not cancelling %s: %s", what, verdict.why)
            return
        self.log.info("Cancelling %s: %s", what, verdict.why)
        self._killed = verdict.why  # a wait that then sees them cancelled says the task was killed
        self.cancel(ref, "the task was killed")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
