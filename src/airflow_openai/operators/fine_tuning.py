"""`OpenAIFineTuningJobOperator`: checked training data in, a fine-tuned model out, every step in the task log."""

from __future__ import annotations

import functools
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import conf
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_openai.links import DASHBOARD_XCOM_KEY, FINE_TUNING_JOB_XCOM_KEY, OpenAIFineTuningJobLink
from airflow_openai.operators.base import OpenAIBaseOperator
from airflow_openai.outage import DEFAULT_OUTAGE_BUDGET, OutageExceeded, waited_out

STATE_KEY = "openai_fine_tuning"
REPORT_XCOM_KEY = "data_report"
MODEL_XCOM_KEY = "fine_tuned_model"


class OpenAIFineTuningJobOperator(OpenAIBaseOperator):
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
    :param deferrable: wait in the triggerer (default from ``[operators] default_deferrable``).
    :param poll_interval: shortest wait between polls, in seconds; a tenth of the job's age after
        that, at most ``max_poll_interval`` (5 minutes by default).
    :param max_poll_interval: longest wait between polls, in seconds.
    :param timeout: seconds to wait for the job before giving up.
    :param cancel_on_timeout: cancel the job when ``timeout`` passes; the task then fails without
        retrying, since a retry would pay for a new job.
    :param cancel_on_kill: cancel the job when the task is really stopped (marked failed); a
        cleared task's next try reattaches instead, and marking success leaves the job be.
    :param outage_budget: seconds without a successful call to the API before the wait gives up.
    """

    state_key = STATE_KEY
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
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 15.0,
        max_poll_interval: float = 300.0,
        timeout: float | None = None,
        cancel_on_timeout: bool = True,
        cancel_on_kill: bool = True,
        outage_budget: float = DEFAULT_OUTAGE_BUDGET,
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
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.timeout = timeout
        self.cancel_on_timeout = cancel_on_timeout
        self.cancel_on_kill = cancel_on_kill
        self.outage_budget = outage_budget
        self._job_id: str | None = None
        self._report: dict[str, Any] | None = None
        self._killed: str | None = None
        self._identity: Any = None

    # -- the run -------------------------------------------------------------------------------------

    def execute(self, context: Any) -> Any:
        from airflow_openai.batch.identity import TaskIdentity

        self._identity = TaskIdentity.from_context(context)  # on_kill asks Airflow for the task's state
        state = self._state(context)
        workdir = Path(tempfile.mkdtemp(prefix="openai-fine-tuning-"))
        try:
            parameters, staged, report = self._prepare(workdir)  # costs nothing: no upload, no job
            fingerprint = self._fingerprint(parameters, staged)
            job = self._reattach_recorded(state, fingerprint)
            if job is None:
                request = self._upload(context, parameters, staged, state)
                job = self._create(context, request, fingerprint)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        self._job_id = job.id
        self._push_link(context, job.id)
        if report is not None:
            self._report = report
            self._save(context, data_report=report)
            context["ti"].xcom_push(key=REPORT_XCOM_KEY, value=report)
        if not self.wait_for_completion:
            return {"job_id": job.id, "status": job.status, "data_report": report}
        # Measured on this worker's clock, as the timeout is: the API's clock may differ from it.
        return self._wait(context, job.id, started_at=time.time())

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        """Resume after the trigger fired: keep its event cursor, then finish as the worker's wait does."""
        from airflow_openai.batch.identity import TaskIdentity

        self._identity = TaskIdentity.from_context(context)
        job_id = str(event["job_id"])
        self._job_id = job_id
        self._save(context, cursor=event.get("cursor") or {})
        if event["status"] == "timeout":
            self._give_up_on_timeout(job_id)
        if event["status"] == "error":
            raise AirflowException(f"{event['message']}; the job keeps running, and a retry reattaches to it")
        if event["status"] != "success":
            raise AirflowException(f"{event['message']}")
        return self._collect(context, job_id)

    def on_kill(self) -> None:
        """Airflow ends the attempt: cancel the job only if the task is really being stopped
        (marked failed, or ended while running), not when it was cleared (the next try reattaches)
        or marked success."""
        from airflow_openai.stopping import kill_verdict
        from airflow_openai.task_state import UNKNOWN, current_state

        if self._job_id is None:
            return
        if not self.cancel_on_kill:
            self.log.info("Not cancelling fine-tuning job %s: cancel_on_kill is off", self._job_id)
            return
        identity = self._identity
        state = UNKNOWN
        if identity is not None:
            state = current_state(identity.dag_id, identity.task_id, identity.run_id, identity.map_index)
        verdict = kill_verdict(*state, in_worker=True)
        if verdict.cancel:
            self.log.info("Cancelling fine-tuning job %s: %s", self._job_id, verdict.why)
            self._killed = verdict.why
            self._cancel(self._job_id, "the task was killed")
        else:
            self.log.info("Not cancelling fine-tuning job %s: %s", self._job_id, verdict.why)

    # -- steps ---------------------------------------------------------------------------------------

    def _reattach_recorded(self, state: dict[str, Any], fingerprint: str) -> Any:
        """The job an earlier attempt recorded, if it was made from this very request (data and
        parameters) and has not failed or been cancelled."""
        from airflow_openai.fine_tuning.reattach import NOT_REATTACHABLE

        job_id = state.get("job_id")
        if not job_id:
            return None
        if state.get("request") != fingerprint:
            self.log.info(
                "The earlier attempt's job %s was made from other data or parameters; starting a new one",
                job_id,
            )
            return None
        job = waited_out(
            lambda: self.hook.get_fine_tuning_job(job_id),
            f"Reading fine-tuning job {job_id}",
            budget=self.outage_budget,
        )
        if job.status in NOT_REATTACHABLE:
            self.log.info("The earlier attempt's job %s %s; starting a new one", job_id, job.status)
            return None
        self.log.info(
            "Reattaching to fine-tuning job %s, started by an earlier attempt (%s)", job_id, job.status
        )
        return job

    def _parameters(self, **files: Any) -> dict[str, Any]:
        from airflow_openai.fine_tuning.parameters import check_job_parameters

        try:
            return check_job_parameters(
                model=self.model,
                hyperparameters=self.hyperparameters,
                suffix=self.suffix,
                seed=self.seed,
                integrations=self.integrations,
                **files,
            )
        except ValueError as exc:
            raise AirflowFailException(f"Invalid fine-tuning job, nothing was created: {exc}") from None

    def _prepare(self, workdir: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
        """The checked parameters, the data staged in `workdir` and its report: all that can be
        refused is refused here, before anything is uploaded or created."""
        from airflow_openai.fine_tuning.staging import stage
        from airflow_openai.fine_tuning.training_data import InvalidTrainingData

        parameters = self._parameters()
        staged = {}
        for role, value in (("training", self.training_file), ("validation", self.validation_file)):
            if value is None:
                continue
            try:
                staged[role] = waited_out(
                    functools.partial(stage, value, role, workdir, self._download),
                    f"Reading the {role} data",
                    budget=self.outage_budget,
                )
            except (InvalidTrainingData, ValueError) as exc:
                raise AirflowFailException(f"{role}_file {exc}; nothing was uploaded or created") from None
        report = self._check(staged) if self.check_data else None
        return parameters, staged, report

    def _fingerprint(self, parameters: dict[str, Any], staged: dict[str, Any]) -> str:
        from airflow_openai.fine_tuning.reattach import request_fingerprint

        return request_fingerprint(parameters, {role: data.sha256 for role, data in staged.items()})

    def _upload(
        self, context: Any, parameters: dict[str, Any], staged: dict[str, Any], state: dict[str, Any]
    ) -> dict[str, Any]:
        """The create request, once the data that is not uploaded yet is (exactly once)."""
        uploaded = dict(state.get("files") or {})
        file_ids = {role: self._uploaded(context, data, uploaded) for role, data in staged.items()}
        request = dict(parameters)
        request["training_file"] = file_ids["training"]
        if "validation" in file_ids:
            request["validation_file"] = file_ids["validation"]
        return request

    def _download(self, file_id: str, path: Path) -> None:
        """An uploaded file, checked as local data is; its purpose must be `fine-tune`."""
        file = self.hook.get_file(file_id)
        if file.purpose != "fine-tune":
            raise AirflowFailException(
                f"file {file_id} has purpose {file.purpose!r}; fine-tuning takes files uploaded with "
                "purpose 'fine-tune'. Nothing was created"
            )
        self.hook.download_file(file_id, path)

    def _check(self, staged: dict[str, Any]) -> dict[str, Any]:
        from airflow_openai.fine_tuning.training_data import InvalidTrainingData, check_training_data

        training, validation = staged["training"], staged.get("validation")
        n_epochs = (self.hyperparameters or {}).get("n_epochs", "auto")
        try:
            report = check_training_data(
                training.lines(),
                model=self.model,
                validation=validation.lines() if validation is not None else None,
                training_label=training.label,
                validation_label=validation.label if validation is not None else "validation data",
                n_epochs=n_epochs,
            )
        except InvalidTrainingData as exc:
            raise AirflowFailException(
                f"Invalid training data, nothing was uploaded or created: {exc}"
            ) from None
        for text in report.summary().splitlines():
            self.log.info(text)
        return report.to_dict()

    def _uploaded(self, context: Any, data: Any, uploaded: dict[str, str]) -> str:
        """The data's file id: given, uploaded by an earlier attempt, or uploaded now (once)."""
        from airflow_openai.fine_tuning.staging import uploaded_before

        if data.file_id is not None:
            return str(data.file_id)
        if data.sha256 in uploaded:
            self.log.info(
                "The %s data was uploaded by an earlier attempt as %s", data.role, uploaded[data.sha256]
            )
            return uploaded[data.sha256]
        name = data.upload_name(self._identity)
        if getattr(context["ti"], "try_number", 1) > 1:
            found = waited_out(
                lambda: uploaded_before(
                    self.hook.list_files(purpose="fine-tune"), data, name, self._run_start(context)
                ),
                f"Looking for the {data.role} data uploaded by an earlier attempt",
                budget=self.outage_budget,
            )
            if found is not None:
                self.log.info("The %s data was uploaded by an earlier attempt as %s", data.role, found)
                uploaded[data.sha256] = found
                self._save(context, files=dict(uploaded))
                return str(found)
        file = self.hook.upload_file(data.path, "fine-tune", filename=name)
        self.log.info("Uploaded the %s data (%s, %d bytes) as %s", data.role, data.label, data.size, file.id)
        uploaded[data.sha256] = file.id
        self._save(context, files=dict(uploaded))
        return str(file.id)

    def _run_start(self, context: Any) -> float:
        dag_run = context.get("dag_run")
        start = getattr(dag_run, "start_date", None)
        return start.timestamp() if start is not None else time.time() - 86400

    def _create(self, context: Any, request: dict[str, Any], fingerprint: str) -> Any:
        """Create the job, unless a retry finds the one its earlier attempt created."""
        from airflow_openai.fine_tuning.reattach import find_reattachable

        if getattr(context["ti"], "try_number", 1) > 1:
            since = self._run_start(context)
            found = waited_out(
                lambda: find_reattachable(self.hook.list_fine_tuning_jobs(limit=100), request, since),
                "Looking for the job an earlier attempt created",
                budget=self.outage_budget,
            )
            if found is not None:
                self.log.info(
                    "Reattaching to fine-tuning job %s on the same data, created by an earlier attempt (%s)",
                    found.id,
                    found.status,
                )
                self._save(context, job_id=found.id, request=fingerprint, cursor={})
                return found
        body = {key: value for key, value in request.items() if key not in ("model", "training_file")}
        job = self.hook.create_fine_tuning_job(request["model"], request["training_file"], **body)
        self._save(context, job_id=job.id, request=fingerprint, cursor={})
        self.log.info("Created fine-tuning job %s on %s (%s)", job.id, job.model, job.status)
        return job

    def _push_link(self, context: Any, job_id: str) -> None:
        context["ti"].xcom_push(key=FINE_TUNING_JOB_XCOM_KEY, value=job_id)
        context["ti"].xcom_push(key=DASHBOARD_XCOM_KEY, value=self.hook.settings.dashboard_url or "")

    def _wait(self, context: Any, job_id: str, started_at: float) -> Any:
        from airflow_openai.fine_tuning.events import EventCursor, line
        from airflow_openai.hooks.fine_tuning_wait import FineTuningTimeout
        from airflow_openai.pacing import PollPacing

        pacing = PollPacing(
            minimum=self.poll_interval, maximum=self.max_poll_interval, outage_budget=self.outage_budget
        )
        deadline = started_at + self.timeout if self.timeout else None
        cursor = EventCursor.from_dict(self._state(context).get("cursor"))
        if self.deferrable:
            from airflow_openai.triggers.fine_tuning import OpenAIFineTuningJobTrigger

            trigger = OpenAIFineTuningJobTrigger(
                job_id=job_id,
                openai_conn_id=self.openai_conn_id,
                started_at=started_at,
                deadline=deadline,
                pacing=pacing.to_dict(),
                cursor=cursor.to_dict(),
                cancel_on_kill=self.cancel_on_kill,
            )
            self.defer(trigger=trigger, method_name="execute_complete")

        def show(events: list[Any], after: EventCursor) -> None:
            for event in events:
                self.log.info(line(job_id, event))
            self._save(context, cursor=after.to_dict())

        try:
            final, _ = self.hook.wait_for_fine_tuning_job(
                job_id,
                cursor=cursor,
                started_at=started_at,
                deadline=deadline,
                pacing=pacing,
                on_events=show,
                on_progress=lambda a: self.log.info(a.message),
            )
        except FineTuningTimeout:
            self._give_up_on_timeout(job_id)
        except OutageExceeded as exc:
            raise AirflowException(f"{exc}; the job keeps running, and a retry reattaches to it") from None
        if final.outcome == "failed" and self._killed is not None:
            raise AirflowException(
                f"The task was killed ({self._killed}); fine-tuning job {job_id} was cancelled"
            )
        if final.outcome == "failed":
            raise AirflowException(final.message)
        return self._collect(context, job_id)

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
            "data_report": self._report or self._state(context).get("data_report"),
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
        from airflow_openai.operators.output import default_output_path

        if self.output_path:
            return str(self.output_path)
        return default_output_path(
            context,
            self.hook.settings.output_root,
            local_folder="openai_fine_tuning",
            suffix="",
            log=self.log,
        )

    def _give_up_on_timeout(self, job_id: str) -> None:
        if self.cancel_on_timeout:
            self._cancel(job_id, "the timeout passed")
            # Not retried: a retry would find the job cancelled and pay for another one.
            raise AirflowFailException(
                f"Fine-tuning job {job_id} did not finish within {self.timeout}s; it was cancelled"
            )
        raise AirflowException(
            f"Fine-tuning job {job_id} did not finish within {self.timeout}s; it keeps running"
        )

    def _cancel(self, job_id: str, why: str) -> None:
        try:
            job = self.hook.cancel_fine_tuning_job(job_id)
            self.log.info("Cancelled fine-tuning job %s because %s (now %s)", job_id, why, job.status)
        except Exception as exc:  # best effort: a finished job refuses it
            self.log.warning("Could not cancel fine-tuning job %s: %s", job_id, exc)
