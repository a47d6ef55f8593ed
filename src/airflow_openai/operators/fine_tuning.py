"""`OpenAIFineTuningJobOperator`: checked training data in, a fine-tuned model out, every step in the task log."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_openai.fine_tuning.record import FineTuningRecord
from airflow_openai.links import DASHBOARD_XCOM_KEY, FINE_TUNING_JOB_XCOM_KEY, OpenAIFineTuningJobLink
from airflow_openai.operators.base import check_output_writable
from airflow_openai.operators.job import OpenAIJobOperator
from airflow_openai.outage import waited_out

REPORT_XCOM_KEY = "data_report"
MODEL_XCOM_KEY = "fine_tuned_model"


class OpenAIFineTuningJobOperator(OpenAIJobOperator):
    """Fine-tune a model on checked data and wait for it, with the job's events in the task log.

    ``training_file`` (and ``validation_file``) is a file id (``file-…``), a local path or
    object storage URI of a JSONL file, or a list of records (say, a task's XCom). Whatever
    the form, the data is checked before anything is created, as OpenAI's data-preparation
    guide checks it: every line names its problem (line, field, reason), fewer than 10
    examples are refused, and examples over the model's context, duplicates and examples in
    both training and validation data are flagged. The check's report (counts, token
    estimate, epochs, billed tokens) goes to the log and to XCom (``data_report``). So do
    the hyperparameters (``n_epochs`` 1–50, ``batch_size`` 1–256, ``learning_rate_multiplier``
    > 0, or ``"auto"``), ``suffix``, ``seed`` and ``integrations``. Data that is not a file
    id yet is uploaded (purpose ``fine-tune``) exactly once.

    The job's new events are logged as they appear, each once: across polls, a deferral and
    a retry. A retried task never pays twice: it reattaches to the job its earlier attempt
    created (the task state store says which; failing that, the job on the same uploaded
    files and model created since the run began). Only a task that is really being stopped
    (marked failed, or out of time) cancels its job.

    On success the result file becomes ``metrics.json``, ``loss.svg`` (train and validation
    loss per step) and ``step_metrics.csv`` under ``output_path`` (local or object storage;
    default a folder under ``[openai] output_root``). Returned (XCom): ``job_id``,
    ``status``, ``model``, ``fine_tuned_model``, ``trained_tokens``, ``hyperparameters``,
    ``training_file``, ``validation_file``, ``checkpoints`` (step, model, metrics),
    ``metrics`` (final and best figures), ``result_file_id``, ``metrics_path``,
    ``chart_path`` and ``data_report``. The model's name is also pushed under its own key, so
    ``task.output["fine_tuned_model"]`` hands it to a downstream operator.

    :param model: the base model, say ``gpt-4o-mini-2024-07-18``.
    :param training_file: a file id, a path/URI of JSONL, or a list of records.
    :param validation_file: the same forms, optional.
    :param hyperparameters: ``n_epochs``, ``batch_size``, ``learning_rate_multiplier``.
    :param suffix: up to 64 characters added to the model's name.
    :param seed: for a reproducible job.
    :param integrations: e.g. ``[{"type": "wandb", "wandb": {"project": "..."}}]``.
    :param output_path: the folder for the metrics files.
    :param check_data: check the data before creating the job (on by default).
    :param wait_for_completion: False creates the job and returns its id at once.
    :param poll_interval: shortest wait between polls, in seconds (15); a tenth of the job's age
        after that, at most ``max_poll_interval`` (300 s).

    The other waiting parameters (``deferrable``, ``timeout``, ``cancel_on_timeout``,
    ``cancel_on_kill``, ``outage_budget``) are those of `OpenAIJobOperator`. In the triggerer the
    wait logs the job's status; its events are logged by the worker when the task resumes, each
    once, since only the worker can record which were logged (a clear or a retry logs none twice).
    """

    template_fields: Sequence[str] = (
        "training_file",
        "validation_file",
        "model",
        "hyperparameters",
        "suffix",
        "seed",
        "integrations",
        "output_path",
    )
    template_fields_renderers = {"hyperparameters": "json", "integrations": "json"}
    operator_extra_links = (OpenAIFineTuningJobLink(),)
    ui_color = "#e6e0f8"
    default_poll_interval, default_max_poll_interval = 15.0, 300.0
    kind_name = "fine_tuning"
    record_type = FineTuningRecord

    def __init__(
        self,
        *,
        model: str,
        training_file: Any,
        validation_file: Any = None,
        hyperparameters: dict[str, Any] | None = None,
        suffix: str | None = None,
        seed: int | None = None,
        integrations: list[dict[str, Any]] | None = None,
        output_path: str | None = None,
        check_data: bool = True,
        wait_for_completion: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        from airflow_openai.fine_tuning.parameters import check_job_parameters

        # What the API would refuse fails the DAG's import; templated values are checked at run time.
        check_job_parameters(
            model=model,
            hyperparameters=hyperparameters,
            suffix=suffix,
            seed=seed,
            integrations=integrations,
            skip_templates=True,
        )
        self.model = model
        self.training_file = training_file
        self.validation_file = validation_file
        self.hyperparameters = hyperparameters
        self.suffix = suffix
        self.seed = seed
        self.integrations = integrations
        self.output_path = output_path
        self.check_data = check_data
        self.wait_for_completion = wait_for_completion
        self._report: dict[str, Any] | None = None

    # -- the run -------------------------------------------------------------------------------------

    def execute(self, context: Any) -> Any:
        self.remember_task(context)
        if self.wait_for_completion:  # the metrics go there once the job ends: found out before it starts
            check_output_writable(
                self._output_folder(context), folder=True, nothing="nothing was uploaded or created"
            )
        job, report = self._submit(context)
        self._ref = {"ids": [job.id]}  # what on_kill cancels, from now on
        self._push_link(context, job.id)
        if report is not None:
            self._report = report
            self.record(context).update(data_report=report)
            context["ti"].xcom_push(key=REPORT_XCOM_KEY, value=report)
        if not self.wait_for_completion:
            return {"job_id": job.id, "status": job.status, "data_report": report}
        # Measured on this worker's clock, as the timeout is: the API's clock may differ from it.
        return self.wait_for(context, {"ids": [job.id]}, started_at=time.time())

    def lineage_plan(self) -> Any:
        """The training and validation data given as paths or URIs (records from XCom are no
        dataset until uploaded; a file id is the API's), and the metrics folder if named."""
        from airflow_openai.lineage import RemoteObject, TaskReport

        report = TaskReport(
            facts={"model": self.model}, outputs=[str(self.output_path)] if self.output_path else []
        )
        for data in (self.training_file, self.validation_file):
            if isinstance(data, str):
                if data.startswith("file-") and "/" not in data:
                    report.remote_inputs.append(RemoteObject("file", data))
                else:
                    report.inputs.append(data)
        return report

    def lineage_report(self, result: Any) -> Any:
        """The job, the uploaded data it trained on, the fine-tuned model and its metrics files."""
        from airflow_openai.lineage import RemoteObject

        report = self.lineage_plan()
        if not isinstance(result, dict):
            return report
        report.facts.update(job_id=result.get("job_id"), fine_tuned_model=result.get("fine_tuned_model"))
        report.created = {"fine_tuning_jobs": 1}
        for key in ("training_file", "validation_file"):
            file_id = result.get(key)
            if file_id and RemoteObject("file", file_id) not in report.remote_inputs:
                report.remote_inputs.append(RemoteObject("file", file_id))
        if result.get("fine_tuned_model"):
            report.remote_outputs.append(RemoteObject("model", result["fine_tuned_model"]))
        written = [result[key] for key in ("metrics_path", "chart_path") if result.get(key)]
        if written:
            report.outputs = written
            report.facts["path"] = written[0]
        if result.get("trained_tokens"):
            report.tokens = {"trained": int(result["trained_tokens"])}
        return report

    def after_poll(self, context: Any, ref: dict[str, Any]) -> Any:
        return lambda: self._log_events(context, str(ref["ids"][0]))

    def finish(self, context: Any, event: dict[str, Any], resume: dict[str, Any]) -> Any:
        """The job ended: its last events (all of them after a deferral) go to the log, then the
        metrics are collected, or the task fails with the server's reason."""
        job_id = str(event["job_id"])
        waited_out(
            lambda: self._log_events(context, job_id), "Reading the job's events", budget=self.outage_budget
        )
        if event["status"] != "success":
            raise AirflowException(event["message"])
        return self._collect(context, job_id)

    def _log_events(self, context: Any, job_id: str) -> None:
        """The job's events since the last one logged, each once: the cursor is in the task state
        store, across polls, a deferral, a clear and a retry."""
        from airflow_openai.fine_tuning.events import EventCursor, advanced, line

        cursor = EventCursor.from_dict(self.record(context).read().cursor)
        events = self.hook.new_fine_tuning_events(job_id, cursor)
        for event in events:
            self.log.info(line(job_id, event))
        if events:
            self.record(context).update(cursor=advanced(cursor, events).to_dict())

    # -- steps ---------------------------------------------------------------------------------------

    def _submit(self, context: Any) -> tuple[Any, dict[str, Any] | None]:
        """The job (reattached to, or created on data uploaded once) and the data's report.

        All that can be refused is refused before anything is uploaded; what the submission makes
        goes to the task state record as it is made, so a submission run again after an outage,
        or a retry, goes on from there (see `fine_tuning.submit`).
        """
        from airflow_openai.fine_tuning.preparation import JobRefused, JobSpec, prepare_job
        from airflow_openai.fine_tuning.submit import JobSubmission

        spec = JobSpec(
            model=self.model,
            training_file=self.training_file,
            validation_file=self.validation_file,
            hyperparameters=self.hyperparameters,
            suffix=self.suffix,
            seed=self.seed,
            integrations=self.integrations,
        )
        workdir = Path(tempfile.mkdtemp(prefix="openai-fine-tuning-"))
        try:
            try:  # costs nothing: no upload, no job
                prepared = prepare_job(
                    self.hook,
                    spec,
                    workdir,
                    check_data=self.check_data,
                    outage_budget=self.outage_budget,
                    logger=self.log,
                )
            except JobRefused as exc:
                raise AirflowFailException(str(exc)) from None
            submission = JobSubmission(
                self.hook,
                self._identity,
                self.record(context),
                since=self._run_start(context),
                retrying=getattr(context["ti"], "try_number", 1) > 1,
                logger=self.log,
            )
            job = waited_out(
                lambda: submission.submit(prepared),
                "Creating the fine-tuning job (or reattaching to it)",
                budget=self.outage_budget,
            )
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return job, prepared.report

    def _run_start(self, context: Any) -> float:
        dag_run = context.get("dag_run")
        start = getattr(dag_run, "start_date", None)
        return start.timestamp() if start is not None else time.time() - 86400

    def _push_link(self, context: Any, job_id: str) -> None:
        context["ti"].xcom_push(key=FINE_TUNING_JOB_XCOM_KEY, value=job_id)
        context["ti"].xcom_push(key=DASHBOARD_XCOM_KEY, value=self.hook.settings.dashboard_url or "")

    def _collect(self, context: Any, job_id: str) -> dict[str, Any]:
        """The finished job, its checkpoints and its metrics files: what the task returns."""
        job = waited_out(
            lambda: self.hook.get_fine_tuning_job(job_id),
            f"Reading fine-tuning job {job_id}",
            budget=self.outage_budget,
        )
        checkpoints = waited_out(
            lambda: [c.to_dict() for c in self.hook.list_fine_tuning_checkpoints(job_id, limit=100)],
            "Reading the checkpoints",
            budget=self.outage_budget,
        )
        checkpoints.sort(key=lambda c: c["step_number"])
        result: dict[str, Any] = {
            "job_id": job.id,
            "status": job.status,
            "model": job.model,
            "fine_tuned_model": job.fine_tuned_model,
            "trained_tokens": job.trained_tokens,
            "hyperparameters": job.hyperparameters.to_dict() if job.hyperparameters else {},
            "training_file": job.training_file,
            "validation_file": job.validation_file,
            "checkpoints": [
                {
                    "step": c["step_number"],
                    "model": c["fine_tuned_model_checkpoint"],
                    "metrics": {k: v for k, v in (c.get("metrics") or {}).items() if v is not None},
                }
                for c in checkpoints
            ],
            "result_file_id": job.result_files[0] if job.result_files else None,
            "metrics": None,
            "metrics_path": None,
            "chart_path": None,
            "data_report": self._report or self.record(context).read().data_report,
        }
        if result["result_file_id"]:
            result.update(self._metrics(context, job, result["result_file_id"], checkpoints))
        # Its own key too, so a downstream operator can take `task.output["fine_tuned_model"]`.
        context["ti"].xcom_push(key=MODEL_XCOM_KEY, value=job.fine_tuned_model)
        self.log.info(
            "Fine-tuned model %s (%s tokens trained); %d checkpoints",
            job.fine_tuned_model,
            job.trained_tokens,
            len(checkpoints),
        )
        return result

    def _metrics(
        self, context: Any, job: Any, file_id: str, checkpoints: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """The result file as `metrics.json`, `loss.svg` and `step_metrics.csv` under the output path."""
        import io

        from airflow_openai.fine_tuning.metrics import write_metrics

        def fetch() -> bytes:
            buffer = io.BytesIO()
            self.hook.download_file(file_id, buffer)
            return buffer.getvalue()

        data = waited_out(fetch, f"Downloading the result file {file_id}", budget=self.outage_budget)
        folder = self._output_folder(context)
        try:
            written = write_metrics(
                data, folder, title=f"{job.fine_tuned_model or job.id}", checkpoints=checkpoints
            )
        except ValueError as exc:  # the model exists: a result file we cannot read must not fail the task
            self.log.warning(
                "The result file %s could not be read (%s); no metrics were written", file_id, exc
            )
            return {}
        self.log.info("Loss chart: %s; metrics: %s", written["chart_path"], written["metrics_path"])
        return {
            "metrics": written["summary"],
            "metrics_path": written["metrics_path"],
            "chart_path": written["chart_path"],
        }

    def _output_folder(self, context: Any) -> str:
        """The metrics folder."""
        return self.output_location(context, local_folder="openai_fine_tuning", suffix="")
