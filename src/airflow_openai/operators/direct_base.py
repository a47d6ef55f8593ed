"""The run every direct-calls operator shares: prepare, send at the rate limit, journal each answer, write the rows."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_openai.operators.base import OpenAIBaseOperator
from airflow_openai.storage import is_object_storage, open_binary, removed_on_failure

DEFAULT_CONCURRENCY = 50


def add_usage(tally: Any, response: Any) -> None:
    """Add an answer's token usage to `tally`."""
    for key, value in ((response or {}).get("usage") or {}).items():
        if key in tally.usage and isinstance(value, int):
            tally.usage[key] += value


class DirectCallsBase(OpenAIBaseOperator):
    """The run of any direct-calls operator: requests prepared from `request_lines()` for `endpoint`,
    sent by `DirectRun` at the rate limit, each answer journaled, then the rows written by `write_rows`.

    :param output_path: where the results go (default: under ``$AIRFLOW_HOME/openai_direct``).
    :param concurrency: requests in flight at most (50).
    :param max_failed_fraction: the share of failed rows tolerated before the task fails (after saving results).
    :param timeout: seconds (or a ``timedelta``) after which nothing more is sent; the task then fails
        with a retry, which sends what is missing.
    :param log_every: seconds between progress lines (done / total, rate, tokens, time left).
    """

    endpoint: str
    response_format: Any = None

    def __init__(
        self,
        *,
        output_path: str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        max_failed_fraction: float = 0.0,
        timeout: Any = None,
        log_every: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= max_failed_fraction <= 1.0:
            raise ValueError("max_failed_fraction is a share between 0 and 1")
        if not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency is a whole number of requests, at least 1 (got {concurrency!r})")
        self.output_path = output_path
        self.concurrency = concurrency
        self.max_failed_fraction = max_failed_fraction
        self.timeout = timeout.total_seconds() if hasattr(timeout, "total_seconds") else timeout
        if not isinstance(log_every, int | float) or log_every <= 0:
            raise ValueError(f"log_every is a number of seconds above 0 (got {log_every!r})")
        self.log_every = log_every
        # What on_kill stops, set and read by single assignments (no lock: on_kill runs in a signal
        # handler on the thread that may be holding one, and a lock would not copy with the task).
        self._stopping: tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]] | None = None
        self._kill_requested = False

    def request_lines(self) -> Iterator[tuple[dict[str, Any], Any]]:
        raise NotImplementedError

    def write_rows(self, journal: Any, prepared: Any, sink: IO[bytes], tally: Any) -> None:
        """Write the output from the journal's rows, each counted into `tally`: one row per request, its input joined."""
        from airflow_openai.batch.results import write_joined

        def counted() -> Any:
            for row in journal.rows():
                tally.count(row)
                add_usage(tally, row.get("response"))
                yield row

        write_joined(counted(), prepared, sink)

    def execute(self, context: Any) -> Any:
        from airflow_openai.batch.chunks import prepare
        from airflow_openai.batch.requests import InvalidBatchInput
        from airflow_openai.operators.base import check_output_writable
        from airflow_openai.structured import InvalidStructuredOutput

        output = self._output_path(context)
        workdir = Path(tempfile.mkdtemp(prefix="openai-direct-"))
        try:
            try:
                prepared = prepare(self.request_lines(), workdir, self.endpoint)
            except (InvalidBatchInput, InvalidStructuredOutput) as exc:
                raise AirflowFailException(f"Invalid input, nothing was sent: {exc}") from None
            self.log.info("Prepared %d requests for %s", prepared.total, self.endpoint)
            if prepared.total == 0:
                from airflow.sdk.exceptions import AirflowSkipException

                raise AirflowSkipException("Nothing to send: the input holds no requests")
            check_output_writable(output, nothing="nothing was sent")
            return self._run(context, prepared, output)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def on_kill(self) -> None:
        """Stop sending: the answers written stay, and the next attempt sends only what is missing.
        A kill before the first request (while the input is prepared) sends nothing at all."""
        self._kill_requested = True
        stopping = self._stopping
        if stopping is not None:
            loop, task = stopping
            self.log.info("Stopping the direct calls; the answers received so far are kept")
            loop.call_soon_threadsafe(task.cancel)

    def lineage_inputs(self) -> list[str]:
        """The paths and URIs the requests are read from (none for requests given inline)."""
        return []

    def lineage_plan(self) -> Any:
        from airflow_openai.lineage import TaskReport

        model = getattr(self, "model", None)
        return TaskReport(
            inputs=self.lineage_inputs(),
            outputs=[str(self.output_path)] if self.output_path else [],
            facts={"model": model} if model else {},
        )

    def lineage_report(self, result: Any) -> Any:
        """The results file, counts by outcome and tokens (what the manifest says)."""
        report = self.lineage_plan()
        return report.add_results(result) if isinstance(result, dict) else report

    def _run(self, context: Any, prepared: Any, output: str) -> Any:
        from airflow_openai.client.policy import RetryPolicy
        from airflow_openai.direct.journal import Journal, JournalBusy
        from airflow_openai.direct.runner import DirectRun, DirectRunStopped, fingerprint
        from airflow_openai.hooks.openai import OpenAIHook
        from airflow_openai.structured import StructuredOutput

        try:
            journal = Journal(self._journal_path(context, output), fingerprint(prepared)).open()
        except JournalBusy as exc:
            raise AirflowException(f"{exc}; this attempt sends nothing") from None
        # One attempt per call: the run retries 429s and unmade connections itself, through the pacer.
        hook = OpenAIHook(self.openai_conn_id, retry_policy=RetryPolicy(max_retries=0))
        try:
            run = DirectRun(
                hook=hook,
                endpoint=self.endpoint,
                prepared=prepared,
                journal=journal,
                concurrency=self.concurrency,
                structured=StructuredOutput.of(self.response_format),
                deadline=None if self.timeout is None else time.monotonic() + float(self.timeout),
                log_every=self.log_every,
            )
            asyncio.run(self._stoppable(run.run()))
        except DirectRunStopped as exc:
            raise AirflowException(
                f"Direct calls stopped ({exc}) with {journal.count} of {prepared.total} answered; "
                "a retry sends only the rest"
            ) from None
        except asyncio.CancelledError:
            raise AirflowException(
                f"Direct calls stopped with {journal.count} of {prepared.total} answered"
            ) from None
        finally:
            journal.close()
            hook.close()
        self.log.info(
            "Sent %d requests (%d answered 429, each sent again after the wait the service gave); "
            "%d of %d answered in all",
            run.sent,
            run.refused,
            journal.count,
            prepared.total,
        )
        return self._collect(context, journal, prepared, output)

    async def _stoppable(self, work: Any) -> Any:
        task = asyncio.ensure_future(work)
        self._stopping = (asyncio.get_running_loop(), task)
        if self._kill_requested:
            task.cancel()
        try:
            return await task
        finally:
            self._stopping = None

    def _collect(self, context: Any, journal: Any, prepared: Any, output: str) -> Any:
        from airflow_openai.batch.results import ResultTally

        tally = ResultTally()
        with removed_on_failure(output), open_binary(output, "wb", make_local_parents=True) as sink:
            self.write_rows(journal, prepared, sink, tally)
        self.log.info(
            "Results: %d succeeded, %d failed of %d; %d tokens; written to %s",
            tally.succeeded,
            tally.failed,
            tally.total,
            tally.usage["total_tokens"],
            output,
        )
        manifest = {"output_path": str(output), **tally.to_dict()}
        too_many = tally.over(self.max_failed_fraction)
        if too_many:
            self.publish_report(context, manifest)  # paid for: told to lineage and metrics though it fails
            raise AirflowFailException(
                f"{too_many}; the results are saved in {output}. The answers are kept in {journal.path}: "
                "clearing the task writes them again without sending anything; delete it to send every request again"
            )
        journal.remove()
        return manifest

    def _output_path(self, context: Any) -> str:
        return self.output_location(context, local_folder="openai_direct", suffix=".jsonl")

    def _journal_path(self, context: Any, output: str) -> Path:
        """Beside a local output; else on this worker's disk, named after the task and its output."""
        if not is_object_storage(output):
            return Path(f"{output}.journal")
        ti = context["ti"]
        key = f"{ti.dag_id}\n{ti.run_id}\n{ti.task_id}\n{getattr(ti, 'map_index', -1)}\n{output}"
        home = os.environ.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
        return (
            Path(home)
            / "openai_direct"
            / "journals"
            / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.jsonl"
        )
