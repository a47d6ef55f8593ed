"""What a task read, wrote, created and spent, told once (`TaskReport`) and published three ways:
OpenLineage datasets and facets, Airflow asset events, Airflow metrics. Plain logic: no Airflow
and no OpenLineage imports here (`operators/lineage.py` and `metrics.py` speak to those)."""

from airflow_openai.lineage.naming import DatasetName, dataset_name, openai_namespace, source_locations
from airflow_openai.lineage.report import RemoteObject, TaskReport, usage_tokens

__all__ = [
    "DatasetName",
    "RemoteObject",
    "TaskReport",
    "dataset_name",
    "openai_namespace",
    "source_locations",
    "usage_tokens",
]
