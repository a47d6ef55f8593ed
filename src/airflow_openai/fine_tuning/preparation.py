"""Everything a fine-tuning job can be refused for, refused before anything is uploaded or created:
the parameters checked, the data staged locally (downloaded when it is a file id), checked as
OpenAI's data-preparation guide checks it, and fingerprinted.

Preparing costs nothing remote: it reads (a file id's content) but makes no object, so a refusal
here leaves the account as it was, and says so (`JobRefused`).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_openai.fine_tuning.staging import StagedData
from airflow_openai.outage import DEFAULT_OUTAGE_BUDGET, waited_out

log = logging.getLogger(__name__)

ROLES = ("training", "validation")


class JobRefused(ValueError):
    """The job cannot be made from what the DAG gave; the message says why, and that nothing was
    uploaded or created. Running the task again would be refused the same way."""


@dataclass(frozen=True)
class JobSpec:
    """What the DAG asks for, as rendered: the base model, the data and the job's parameters."""

    model: str
    training_file: Any
    validation_file: Any = None
    hyperparameters: dict[str, Any] | None = None
    suffix: str | None = None
    seed: int | None = None
    integrations: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class PreparedJob:
    """The checked parameters, the data staged on local disk (by role), the data's report (None
    when the check is off) and the fingerprint of the whole request."""

    parameters: dict[str, Any]
    staged: dict[str, StagedData]
    report: dict[str, Any] | None
    fingerprint: str


def prepare_job(
    hook: Any,
    spec: JobSpec,
    workdir: Path,
    *,
    check_data: bool = True,
    outage_budget: float = DEFAULT_OUTAGE_BUDGET,
    logger: Any = log,
) -> PreparedJob:
    """Check `spec` and stage its data in `workdir`; raises `JobRefused` for what the API would refuse."""
    from airflow_openai.fine_tuning.reattach import request_fingerprint
    from airflow_openai.fine_tuning.staging import stage
    from airflow_openai.fine_tuning.training_data import InvalidTrainingData

    parameters = checked_parameters(spec)
    staged: dict[str, StagedData] = {}
    for role, value in zip(ROLES, (spec.training_file, spec.validation_file), strict=True):
        if value is None:
            continue
        try:
            staged[role] = waited_out(
                functools.partial(stage, value, role, workdir, functools.partial(_download, hook)),
                f"Reading the {role} data",
                budget=outage_budget,
            )
        except JobRefused:
            raise
        except (InvalidTrainingData, ValueError) as exc:
            raise JobRefused(f"{role}_file {exc}; nothing was uploaded or created") from None
    report = _checked_data(spec, staged, logger) if check_data else None
    fingerprint = request_fingerprint(parameters, {role: data.sha256 for role, data in staged.items()})
    return PreparedJob(parameters, staged, report, fingerprint)


def checked_parameters(spec: JobSpec) -> dict[str, Any]:
    """The job's parameters as the API takes them (see `parameters.check_job_parameters`)."""
    from airflow_openai.fine_tuning.parameters import check_job_parameters

    try:
        return check_job_parameters(
            model=spec.model,
            hyperparameters=spec.hyperparameters,
            suffix=spec.suffix,
            seed=spec.seed,
            integrations=spec.integrations,
        )
    except ValueError as exc:
        raise JobRefused(f"Invalid fine-tuning job, nothing was created: {exc}") from None


def _download(hook: Any, file_id: str, path: Path) -> None:
    """An uploaded file, checked as local data is; its purpose must be `fine-tune`."""
    file = hook.get_file(file_id)
    if file.purpose != "fine-tune":
        raise JobRefused(
            f"file {file_id} has purpose {file.purpose!r}; fine-tuning takes files uploaded with "
            "purpose 'fine-tune'. Nothing was created"
        )
    hook.download_file(file_id, path)


def _checked_data(spec: JobSpec, staged: dict[str, StagedData], logger: Any) -> dict[str, Any]:
    """The data's report (counts, tokens, billed tokens), its summary logged line by line."""
    from airflow_openai.fine_tuning.training_data import InvalidTrainingData, check_training_data

    training, validation = staged["training"], staged.get("validation")
    n_epochs = (spec.hyperparameters or {}).get("n_epochs", "auto")
    try:
        report = check_training_data(
            training.lines(),
            model=spec.model,
            validation=validation.lines() if validation is not None else None,
            training_label=training.label,
            validation_label=validation.label if validation is not None else "validation data",
            n_epochs=n_epochs,
        )
    except InvalidTrainingData as exc:
        raise JobRefused(f"Invalid training data, nothing was uploaded or created: {exc}") from None
    for text in report.summary().splitlines():
        logger.info(text)
    return report.to_dict()
