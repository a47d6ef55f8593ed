"""Pydantic models of the OpenAI API objects this provider works with, named as in the spec."""

from airflow_openai.models.base import DeletedObject, OpenAIObject
from airflow_openai.models.batches import (
    BATCH_STATUSES,
    BATCH_TERMINAL_STATUSES,
    Batch,
    BatchError,
    BatchErrors,
    BatchRequestCounts,
    BatchRequestInput,
    BatchRequestOutput,
    BatchStatus,
)
from airflow_openai.models.files import UPLOADABLE_PURPOSES, FilePurpose, OpenAIFile, Upload, UploadPart
from airflow_openai.models.fine_tuning import (
    FINE_TUNING_TERMINAL_STATUSES,
    FineTuningJob,
    FineTuningJobCheckpoint,
    FineTuningJobEvent,
    FineTuningJobStatus,
)
from airflow_openai.models.model import Model
from airflow_openai.models.organization import (
    AuditLog,
    Invite,
    Project,
    ProjectApiKey,
    ProjectServiceAccount,
    ProjectServiceAccountApiKey,
    ProjectServiceAccountCreateResponse,
    ProjectUser,
    User,
)
from airflow_openai.models.runs import RUN_TERMINAL_STATUSES, RunObject, RunStatus
from airflow_openai.models.vector_stores import (
    VectorStoreFileBatchObject,
    VectorStoreFileObject,
    VectorStoreObject,
)

__all__ = [
    "BATCH_STATUSES",
    "BATCH_TERMINAL_STATUSES",
    "FINE_TUNING_TERMINAL_STATUSES",
    "RUN_TERMINAL_STATUSES",
    "UPLOADABLE_PURPOSES",
    "AuditLog",
    "Batch",
    "BatchError",
    "BatchErrors",
    "BatchRequestCounts",
    "BatchRequestInput",
    "BatchRequestOutput",
    "BatchStatus",
    "DeletedObject",
    "FilePurpose",
    "FineTuningJob",
    "FineTuningJobCheckpoint",
    "FineTuningJobEvent",
    "FineTuningJobStatus",
    "Invite",
    "Model",
    "OpenAIFile",
    "OpenAIObject",
    "Project",
    "ProjectApiKey",
    "ProjectServiceAccount",
    "ProjectServiceAccountApiKey",
    "ProjectServiceAccountCreateResponse",
    "ProjectUser",
    "RunObject",
    "RunStatus",
    "Upload",
    "UploadPart",
    "User",
    "VectorStoreFileBatchObject",
    "VectorStoreFileObject",
    "VectorStoreObject",
]
