"""`OpenAIBatchOperator`: from prompts or requests to a JSONL file of joined results, through the Batch API."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_openai.batch.record import BatchRecord
from airflow_openai.links import BATCH_IDS_XCOM_KEY, DASHBOARD_XCOM_KEY, OpenAIBatchLink
from airflow_openai.operators.job import OpenAIJobOperator
from airflow_openai.operators.request_inputs import INPUT_TEMPLATE_FIELDS, RequestInputs
from airflow_openai.outage import waited_out
from airflow_openai.storage import open_binary, removed_on_failure


class OpenAIBatchOperator(RequestInputs, OpenAIJobOperator):
    """Run requests through the OpenAI Batch API (half the price of direct calls) and get joined results.

    Give it ``prompts`` (strings, or dicts with ``prompt`` and per-row overrides) with a
    ``model``, or ready ``requests`` (``{"custom_id", "body"}`` or plain bodies), or an
    ``input_file`` (JSONL, a local path or any ``ObjectStoragePath`` URI). The input is
    checked before anything is uploaded; past 50,000 requests or 100 MB it is split
    into several batches that run side by side.

    Every row key and body field is checked against the API description (2.3.0), as the service
    refuses unknown ones. A row (prompt dict or request line) carries fields of its own under
    ``metadata`` (a dict: kept in its result row as ``metadata``, never sent) and parameters the API
    added later under ``extra_body`` (merged into its body unchecked).

    Results are joined to their inputs by ``custom_id`` and written as JSONL to
    ``output_path`` (local or object storage), one row per request: ``custom_id``,
    ``input``, ``metadata`` (when the row has one), ``status`` (``succeeded``/``failed``), ``content``,
    ``parsed`` (with ``response_format``), ``response`` or ``error``. Every request submitted gets exactly one
    row: one its batch returned no result for (checked against the batch's
    ``request_counts``) is a failed row with error code ``missing_result``. The task returns a
    small manifest: batch ids, counts (``total`` is the requests submitted), token usage and
    the output path. Local scratch files are removed however the task ends.

    A retried task never pays twice: the batch ids are kept in the task state store and
    every batch is tagged with the task's identity and an input fingerprint, so a retry
    reattaches to its batch even when the worker died before recording it.

    :param prompts: prompts for chat completions (with ``model``, ``system_prompt``, ``request_parameters``).
    :param requests: request lines or bodies for ``endpoint``.
    :param input_file: a JSONL file of request lines or bodies.
    :param endpoint: ``/v1/chat/completions``, ``/v1/embeddings`` or ``/v1/completions``.
    :param response_format: a pydantic model class or JSON schema: strict structured outputs,
        each answer validated (a row that does not validate is a failed row, with the reason).
    :param extra_body: body parameters the API added after 2.3.0, merged into every request body
        unchecked (as the openai SDK's ``extra_body``); a row's own ``extra_body`` wins over it.
    :param output_path: where the joined results go (default: under ``$AIRFLOW_HOME/openai_batches``).
    :param max_failed_fraction: the share of failed rows tolerated before the task fails (after saving results).
    :param resubmit_failed: resubmit, once, lines that expired or failed with a retryable error.
    :param wait_for_completion: False submits and returns the batch ids at once.

    The waiting parameters (``deferrable``, ``poll_interval`` 5 s, ``max_poll_interval``,
    ``timeout``, ``cancel_on_timeout``, ``cancel_on_kill``, ``outage_budget``) are those of
    `OpenAIJobOperator`.
    """

    template_fields: Sequence[str] = (
        *INPUT_TEMPLATE_FIELDS,
        "completion_window",
        "metadata",
        "output_path",
    )
    template_fields_renderers = {
        "requests": "json",
        "request_parameters": "json",
        "extra_body": "json",
        "metadata": "json",
    }
    operator_extra_links = (OpenAIBatchLink(),)
    ui_color = "#d9f2e6"
    kind_name = "batch"
    record_type = BatchRecord

    def __init__(
        self,
        *,
        prompts: Any = None,
        requests: Any = None,
        input_file: str | None = None,
        endpoint: str = "/v1/chat/completions",
        model: str | None = None,
        system_prompt: str | None = None,
        request_parameters: Mapping[str, Any] | None = None,
        response_format: Any = None,
        extra_body: Mapping[str, Any] | None = None,
        completion_window: str = "24h",
        metadata: Mapping[str, str] | None = None,
        output_path: str | None = None,
        max_failed_fraction: float = 0.0,
        resubmit_failed: bool = True,
        wait_for_completion: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.take_inputs(
            prompts=prompts,
            requests=requests,
            input_file=input_file,
            endpoint=endpoint,
            model=model,
            system_prompt=system_prompt,
            request_parameters=request_parameters,
            response_format=response_format,
            extra_body=extra_body,
        )
        if not 0.0 <= max_failed_fraction <= 1.0:
            raise ValueError("max_failed_fraction is a share between 0 and 1")
        _check_plain_parameters(endpoint=endpoint, completion_window=completion_window, metadata=metadata)
        self.completion_window = completion_window
        # Anything but a dict is kept as given, for the run-time check to name its type.
        self.metadata = dict(metadata) if isinstance(metadata, Mapping) else metadata
        self.output_path = output_path
        self.max_failed_fraction = max_failed_fraction
        self.resubmit_failed = resubmit_failed
        self.wait_for_completion = wait_for_completion
        self._workdir: Path | None = None
        self._prepared_input: Any = None

    # -- the run -------------------------------------------------------------------------------------

    def execute(self, context: Any) -> Any:
        try:
            prepared = self._prepared(context)
            self.log.info(
                "Prepared %d requests in %d batch input file(s)", prepared.total, len(prepared.chunks)
            )
            if prepared.total == 0:
                from airflow.sdk.exceptions import AirflowSkipException

                why = "Nothing to send: the input holds no requests, so no batch was created"
                context["ti"].xcom_push(  # a skipped task returns nothing: the manifest says why instead
                    key="manifest",
                    value={"batch_ids": [], "total": 0, "succeeded": 0, "failed": 0, "skipped": why},
                )
                raise AirflowSkipException(why)
            self._probe_output(context)
            batch_ids = self._submit(context, prepared, round=0)
            if not self.wait_for_completion:
                return {"batch_ids": batch_ids, "requests": prepared.total}
            return self._wait(context, [batch_ids])
        finally:
            self._drop_workdir()

    def finish(self, context: Any, event: dict[str, Any], resume: dict[str, Any]) -> Any:
        """The batches of the last round ended; `rounds` are the batch ids of each round so far."""
        rounds = resume.get("rounds")
        if event["status"] != "success":
            raise AirflowException(f"{event['message']} ({event['statuses']})")
        try:
            return self._collect(context, [list(ids) for ids in (rounds or [event["batch_ids"]])])
        finally:
            self._drop_workdir()

    def lineage_plan(self) -> Any:
        from airflow_openai.lineage import TaskReport

        return TaskReport(
            inputs=[str(self.input_file)] if self.input_file else [],
            outputs=[str(self.output_path)] if self.output_path else [],
            facts={"model": self.model} if self.model else {},
        )

    def lineage_report(self, result: Any) -> Any:
        """The batches and, once they ended, the results file, counts by outcome and tokens."""
        report = self.lineage_plan()
        if not isinstance(result, dict):
            return report
        batch_ids = [str(batch_id) for batch_id in result.get("batch_ids") or []]
        report.facts["batch_ids"] = batch_ids
        report.created = {"batches": len(batch_ids)}
        if "output_path" in result:
            report.add_results(result)
        else:  # not waited for: submitted only
            report.facts["total"] = report.requests_sent = int(result.get("requests") or 0)
        return report

    # -- steps ---------------------------------------------------------------------------------------

    def _job(self, context: Any) -> Any:
        from airflow_openai.batch.pipeline import BatchJob
        from airflow_openai.structured import StructuredOutput

        self.remember_task(context)
        return BatchJob(
            hook=self.hook,
            endpoint=self.endpoint,
            completion_window=self.completion_window,
            identity=self._identity,
            metadata=self.metadata,
            structured=StructuredOutput.of(self.response_format),
        )

    def _lines(self) -> Iterator[tuple[dict[str, Any], Any]]:
        from airflow_openai.batch import requests as batch_requests

        batch_requests.check_completion_window(self.completion_window)
        yield from self.request_lines()

    def _prepared(self, context: Any) -> Any:
        """The checked input in chunk files (built once per process; again after a deferral)."""
        from airflow_openai.batch.chunks import prepare
        from airflow_openai.batch.identity import check_user_metadata
        from airflow_openai.batch.requests import InvalidBatchInput
        from airflow_openai.structured import InvalidStructuredOutput

        if self._prepared_input is not None:
            return self._prepared_input
        self._workdir = Path(tempfile.mkdtemp(prefix="openai-batch-"))
        try:
            check_user_metadata(self.metadata)
        except ValueError as exc:
            raise AirflowFailException(f"Invalid batch input, nothing was submitted: {exc}") from None
        try:
            self._prepared_input = prepare(self._lines(), self._workdir, self.endpoint)
        except (InvalidBatchInput, InvalidStructuredOutput) as exc:
            raise AirflowFailException(f"Invalid batch input, nothing was submitted: {exc}") from None
        return self._prepared_input

    def _probe_output(self, context: Any) -> None:
        """Find out before the first upload that the results cannot be written, not after the batch ran."""
        from airflow_openai.operators.base import check_output_writable

        check_output_writable(self._output_path(context), nothing="nothing was submitted")

    def _drop_workdir(self) -> None:
        """Remove the chunk files, the input index and downloaded results, however the run ends.

        Deferring ends this process too: the work directory is built again on resume.
        """
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
        self._workdir = None
        self._prepared_input = None

    def _submit(self, context: Any, prepared: Any, round: int, earlier: list[str] | None = None) -> list[str]:
        """Submit (or reattach to) this round's batches; the link shows them with the `earlier` rounds'.

        What the round makes (each input file, then each batch) goes to the task state record as it
        is made, so a round run again after an outage, or a retry, goes on from there.
        """

        record = self.record(context)
        job = self._job(context)
        submission = waited_out(
            lambda: job.submit(prepared, round, record),
            "Submitting the batches (or reattaching to them)",
            budget=self.outage_budget,
        )
        batch_ids = list(submission.batch_ids.values())
        self._ref = {"ids": batch_ids}  # what on_kill cancels, from now on
        context["ti"].xcom_push(key=BATCH_IDS_XCOM_KEY, value=[*(earlier or []), *batch_ids])
        # The link is built from XCom alone (in the worker, when the attempt ends): the dashboard
        # root of this task's connection goes with the ids; a URL, never a key.
        context["ti"].xcom_push(key=DASHBOARD_XCOM_KEY, value=self.hook.settings.dashboard_url or "")
        return batch_ids

    def _wait(self, context: Any, rounds: list[list[str]]) -> Any:
        """Wait for the last round's batches; `finish` then collects every round's results."""
        return self.wait_for(context, {"ids": rounds[-1]}, started_at=time.time(), resume={"rounds": rounds})

    def _collect(self, context: Any, rounds: list[list[str]]) -> Any:
        prepared = self._prepared(context)
        job = self._job(context)
        assert self._workdir is not None
        if len(rounds) == 1 and self.resubmit_failed:
            workdir = self._workdir
            retry = waited_out(
                lambda: job.retryable(rounds[0], prepared, workdir),
                "Reading the results",
                budget=self.outage_budget,
            )
            if retry:
                from airflow_openai.batch.chunks import prepare

                self.log.info(
                    "Resubmitting, once, %d lines that expired or failed with a retryable error", len(retry)
                )
                retry_lines = ((request, None) for request in prepared.requests_for(retry))
                retry_input = prepare(retry_lines, self._workdir / "retry", self.endpoint)
                batch_ids = self._submit(context, retry_input, round=1, earlier=rounds[0])
                return self._wait(context, [*rounds, batch_ids])
        output = self._output_path(context)
        workdir = self._workdir

        def write() -> Any:
            with removed_on_failure(output), open_binary(output, "wb", make_local_parents=True) as sink:
                return job.write(rounds, prepared, workdir, sink)  # all rows, or no file at all

        tally = waited_out(write, "Collecting the results", budget=self.outage_budget)
        all_ids = [batch_id for ids in rounds for batch_id in ids]
        self.log.info(
            "Results: %d succeeded, %d failed of %d; %d tokens; written to %s",
            tally.succeeded,
            tally.failed,
            tally.total,
            tally.usage["total_tokens"],
            output,
        )
        manifest = {"batch_ids": all_ids, "output_path": str(output), **tally.to_dict()}
        too_many = tally.over(self.max_failed_fraction)
        if too_many:
            self.publish_report(context, manifest)  # paid for: told to lineage and metrics though it fails
            raise AirflowFailException(f"{too_many}; the results are saved in {output}")
        return manifest

    def _output_path(self, context: Any) -> str:
        """Where the results go (the output probe asks first)."""
        return self.output_location(context, local_folder="openai_batches", suffix=".jsonl")


def _check_plain_parameters(**parameters: Any) -> None:
    """Parameters the API would refuse fail the DAG's import; templated ones are checked at run time."""
    from airflow_openai.batch import requests as batch_requests
    from airflow_openai.batch.identity import check_user_metadata

    checks = {
        "endpoint": batch_requests.check_endpoint,
        "completion_window": batch_requests.check_completion_window,
        "metadata": check_user_metadata,
    }
    for name, value in parameters.items():
        if not batch_requests.has_template(value):
            checks[name](value)
