"""Creating a fine-tuning job exactly once: the data uploaded once, the job created once, however
often the step runs again.

The step takes up to three calls: upload the training data, upload the validation data, create
the job. Each result goes to the task's record as soon as it exists (``files``: data digest →
file id; ``job_id`` with ``request``, the fingerprint of what it was asked to be), so a step
that an outage ended half-way (the create failing past the HTTP retries), or a retried task,
goes on from there instead of uploading again and leaving the first copies behind.

When the record cannot say (a worker died between a call and its record), the step looks before
it makes: for its upload by name (the task and the data's fingerprint, see `staging`) and for
its job by its files and parameters (see `reattach`), created since the run began.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow_openai.fine_tuning.preparation import PreparedJob
from airflow_openai.fine_tuning.record import FineTuningRecord
from airflow_openai.fine_tuning.staging import StagedData
from airflow_openai.models import FineTuningJob
from airflow_openai.records import RecordStore

log = logging.getLogger(__name__)


class JobSubmission:
    """One task's job: reattached to, or created on data uploaded once.

    :param hook: an `OpenAIHook` (anything with its file and fine-tuning methods).
    :param identity: the task instance (`batch.identity.TaskIdentity`), which names the uploads.
    :param record: where what the step made is kept (the task state record).
    :param since: when the run began: an upload or a job older than that is not this task's.
    :param retrying: an earlier attempt may have made what it did not record: look before making.
    """

    def __init__(
        self,
        hook: Any,
        identity: Any,
        record: RecordStore[FineTuningRecord],
        *,
        since: float,
        retrying: bool = False,
        logger: Any = log,
    ) -> None:
        self.hook = hook
        self.identity = identity
        self.record = record
        self.since = since
        self.retrying = retrying
        self.log = logger
        self._tried: set[str] = set()
        """What this step sent at least once, whose answer may be lost: look for it before sending again."""

    def submit(self, prepared: PreparedJob) -> FineTuningJob:
        """The job: the one recorded for this very request, else one created now on the uploaded data.

        Safe to run again after any failure (an outage round, a retry): it goes on from the record.
        """
        job = self.reattach_recorded(prepared.fingerprint)
        if job is not None:
            return job
        request = dict(prepared.parameters)
        for role, data in prepared.staged.items():
            request[f"{role}_file"] = self._uploaded(data)
        return self._created(request, prepared.fingerprint)

    def reattach_recorded(self, fingerprint: str) -> FineTuningJob | None:
        """The job recorded earlier, if it was made from this very request (data and parameters)
        and has not failed or been cancelled."""
        from airflow_openai.fine_tuning.reattach import NOT_REATTACHABLE

        state = self.record.read()
        job_id = state.job_id
        if not job_id:
            return None
        if state.request != fingerprint:
            self.log.info(
                "The earlier attempt's job %s was made from other data or parameters; starting a new one",
                job_id,
            )
            return None
        job: FineTuningJob = self.hook.get_fine_tuning_job(job_id)
        if job.status in NOT_REATTACHABLE:
            self.log.info("The earlier attempt's job %s %s; starting a new one", job_id, job.status)
            return None
        self.log.info(
            "Reattaching to fine-tuning job %s, started by an earlier attempt (%s)", job_id, job.status
        )
        return job

    def _uploaded(self, data: StagedData) -> str:
        """The data's file id: given, recorded, found (an upload nobody recorded), or uploaded now."""
        from airflow_openai.fine_tuning.staging import uploaded_before

        if data.file_id is not None:
            return str(data.file_id)
        uploaded = self.record.read().files
        if data.sha256 in uploaded:
            self.log.info("The %s data is uploaded already, as %s", data.role, uploaded[data.sha256])
            return str(uploaded[data.sha256])
        name = data.upload_name(self.identity)
        if self.retrying or name in self._tried:
            found = uploaded_before(self.hook.list_files(purpose="fine-tune"), data, name, self.since)
            if found is not None:
                self.log.info("The %s data was uploaded by an earlier attempt as %s", data.role, found)
                self._record_upload(data, found)
                return found
        self._tried.add(name)
        file = self.hook.upload_file(data.path, "fine-tune", filename=name)
        self.log.info("Uploaded the %s data (%s, %d bytes) as %s", data.role, data.label, data.size, file.id)
        self._record_upload(data, file.id)
        return str(file.id)

    def _record_upload(self, data: StagedData, file_id: str) -> None:
        self.record.update(files={**self.record.read().files, data.sha256: file_id})

    def _created(self, request: dict[str, Any], fingerprint: str) -> FineTuningJob:
        """Create the job, unless a look finds the one an earlier attempt (or try) created."""
        from airflow_openai.fine_tuning.reattach import find_reattachable

        if self.retrying or "job" in self._tried:
            found = find_reattachable(self.hook.list_fine_tuning_jobs(limit=100), request, self.since)
            if found is not None:
                self.log.info(
                    "Reattaching to fine-tuning job %s on the same data, created by an earlier attempt (%s)",
                    found.id,
                    found.status,
                )
                self.record.update(job_id=found.id, request=fingerprint, cursor={})
                return found
        self._tried.add("job")
        body = {key: value for key, value in request.items() if key not in ("model", "training_file")}
        job: FineTuningJob = self.hook.create_fine_tuning_job(
            request["model"], request["training_file"], **body
        )
        self.record.update(job_id=job.id, request=fingerprint, cursor={})
        self.log.info("Created fine-tuning job %s on %s (%s)", job.id, job.model, job.status)
        return job
