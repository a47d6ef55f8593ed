"""Operators. Importing this package from a DAG file does no I/O and builds no client."""

from airflow_openai.operators.admin import (
    OpenAIAuditLogsToStorageOperator,
    OpenAIOrganizationSnapshotOperator,
)
from airflow_openai.operators.base import OpenAIBaseOperator
from airflow_openai.operators.batch import OpenAIBatchOperator
from airflow_openai.operators.files import (
    OpenAIDeleteFilesOperator,
    OpenAIDownloadFileOperator,
    OpenAIUploadFileOperator,
)
from airflow_openai.operators.fine_tuning import OpenAIFineTuningJobOperator
from airflow_openai.operators.runs import OpenAIAssistantRunOperator
from airflow_openai.operators.vector_stores import OpenAIVectorStoreIngestOperator

__all__ = [
    "OpenAIAssistantRunOperator",
    "OpenAIAuditLogsToStorageOperator",
    "OpenAIBaseOperator",
    "OpenAIBatchOperator",
    "OpenAIDeleteFilesOperator",
    "OpenAIDownloadFileOperator",
    "OpenAIFineTuningJobOperator",
    "OpenAIOrganizationSnapshotOperator",
    "OpenAIUploadFileOperator",
    "OpenAIVectorStoreIngestOperator",
]
