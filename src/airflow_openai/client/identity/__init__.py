"""Keyless auth: an OpenAI access token exchanged for the workload's own identity (plain logic).

`settings` reads the connection's extras (the incumbent provider's field names),
`subject_tokens` reads what the workload proves it is (a Kubernetes token file, Azure IMDS, the
GCP metadata server, a custom callable), and `token_source` exchanges it for an access token,
cached per connection per process and refreshed before it expires.
"""

from airflow_openai.client.errors import WorkloadIdentityError
from airflow_openai.client.identity.settings import (
    API_KEY,
    WORKLOAD_IDENTITY,
    WorkloadIdentitySettings,
    auth_type_of,
)
from airflow_openai.client.identity.subject_tokens import SubjectToken, provider_for
from airflow_openai.client.identity.token_source import TokenSource, clear_token_sources, token_source_for

__all__ = [
    "API_KEY",
    "WORKLOAD_IDENTITY",
    "SubjectToken",
    "TokenSource",
    "WorkloadIdentityError",
    "WorkloadIdentitySettings",
    "auth_type_of",
    "clear_token_sources",
    "provider_for",
    "token_source_for",
]
