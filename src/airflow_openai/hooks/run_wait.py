"""Waiting on an assistant run from a worker: the same decisions and pacing the trigger uses,
with blocking sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from airflow_openai.outage import OutageExceeded, is_outage
from airflow_openai.pacing import PollPacing
from airflow_openai.runs.assessment import RunAssessment, assess
from airflow_openai.runs.watch import RUN_PACING, RunWatch


class RunTimeout(TimeoutError):
    """The run did not finish, nor ask for tool outputs, before the deadline."""


class RunWaitMixin:
    """`wait_for_run` for the hook."""

    def wait_for_run(
        self: Any,
        thread_id: str,
        run_id: str,
        *,
        started_at: float | None = None,
        deadline: float | None = None,
        pacing: PollPacing | None = None,
        on_progress: Callable[[RunAssessment], None] | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> RunAssessment:
        """Poll until the run has ended or waits on tool outputs; returns its assessment.

        The outcome says which: ``succeeded``, ``failed`` (failed, incomplete, expired or
        cancelled, with the reason) or ``action`` (`requires_action`, with the tool calls to
        answer: submit their outputs, then wait again). `on_progress` hears of each change of
        status. Raises `RunTimeout` past `deadline` (a Unix time), and `OutageExceeded` when no
        poll has succeeded for `pacing.outage_budget` seconds. Polls start a second apart
        (`RUN_PACING`) and grow with the run's age since `started_at`.
        """
        watch = RunWatch(thread_id, run_id, pacing or RUN_PACING, started_at or clock(), now=clock())
        while True:
            now = clock()
            try:
                assessment = assess(self.get_run(thread_id, run_id))
            except Exception as exc:
                if not is_outage(exc):
                    raise
                watch.poll_failed(exc)
                self.log.warning("Polling run %s failed (%s); will try again", run_id, exc)
            else:
                if watch.record(assessment, now) and on_progress is not None:
                    on_progress(assessment)
                if assessment.finished:
                    return assessment
            gave_up = watch.outage_exceeded(clock())
            if gave_up is not None:
                raise OutageExceeded(gave_up)
            if deadline is not None and now >= deadline:
                raise RunTimeout(f"run {run_id} on thread {thread_id} did not finish before the deadline")
            sleep(watch.next_delay(now, deadline))
