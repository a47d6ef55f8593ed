"""Workload identity settings read from connection extras with the incumbent provider's field names."""

from __future__ import annotations

import pytest

from airflow_openai.client.identity.settings import (
    AZURE_IMDS_URL,
    DEFAULT_TOKEN_EXCHANGE_URL,
    DEFAULT_TOKEN_FILE,
    GCP_METADATA_URL,
    WorkloadIdentitySettings,
    auth_type_of,
)

IDS = {"auth_type": "workload_identity", "identity_provider_id": "idp_123", "service_account_id": "sa_456"}

# As `apache-airflow-providers-openai`'s connection docs write them, one per token source.
KUBERNETES = {**IDS, "workload_identity_provider": "kubernetes"}
AZURE = {
    **IDS,
    "workload_identity_provider": "azure",
    "resource": "api://openai-wif",
    "client_id": "00000000-0000-0000-0000-000000000001",
    "object_id": "00000000-0000-0000-0000-000000000002",
    "msi_res_id": "/subscriptions/s/resourcegroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/i",
    "api_version": "2019-08-01",
}
GCP = {**IDS, "workload_identity_provider": "gcp", "audience": "https://api.openai.com/v1"}
CUSTOM = {
    **IDS,
    "workload_identity_provider": "custom",
    "token_provider": "my_company.auth.get_openai_subject_token",
    "token_type": "id",
    "refresh_buffer_seconds": 300,
}


def read(extra, **kwargs):
    return WorkloadIdentitySettings.from_extra(extra, source="openai_wif", environ=kwargs.pop("environ", {}))


def test_auth_type_defaults_to_api_key_and_refuses_others():
    assert auth_type_of({}) == "api_key"
    assert auth_type_of({"auth_type": ""}) == "api_key"
    assert auth_type_of(KUBERNETES) == "workload_identity"
    with pytest.raises(ValueError, match="'auth_type'.*'oauth'"):
        auth_type_of({"auth_type": "oauth"}, "c")


def test_kubernetes_defaults():
    s = read(KUBERNETES)
    assert (s.identity_provider_id, s.service_account_id, s.provider) == ("idp_123", "sa_456", "kubernetes")
    assert s.token_file_path == DEFAULT_TOKEN_FILE
    assert s.token_exchange_url == DEFAULT_TOKEN_EXCHANGE_URL == "https://auth.openai.com/oauth/token"
    assert s.refresh_buffer_seconds == 1200
    assert s.subject_token_url is None
    assert read({**KUBERNETES, "token_file_path": "/tmp/t"}).token_file_path == "/tmp/t"


def test_azure_fields():
    s = read(AZURE)
    assert (s.resource, s.client_id, s.object_id, s.api_version) == (
        "api://openai-wif",
        AZURE["client_id"],
        AZURE["object_id"],
        "2019-08-01",
    )
    assert s.msi_res_id == AZURE["msi_res_id"]
    assert s.subject_token_url == AZURE_IMDS_URL
    bare = read({**IDS, "workload_identity_provider": "azure"})
    assert (bare.resource, bare.api_version, bare.client_id) == (
        "https://management.azure.com/",
        "2018-02-01",
        None,
    )


def test_gcp_and_metadata_url_from_extra_or_environment():
    assert read(GCP).audience == "https://api.openai.com/v1"
    assert read(GCP).subject_token_url == GCP_METADATA_URL
    local = "http://127.0.0.1:9/identity"
    assert read(GCP, environ={"AIRFLOW_OPENAI_GCP_METADATA_URL": local}).subject_token_url == local
    assert read({**AZURE, "metadata_url": local}).subject_token_url == local
    assert read(AZURE, environ={"AIRFLOW_OPENAI_GCP_METADATA_URL": local}).subject_token_url == AZURE_IMDS_URL


def test_custom_and_token_exchange_url():
    s = read({**CUSTOM, "token_exchange_url": "http://127.0.0.1:8089/oauth/token"})
    assert (s.token_provider, s.token_type, s.refresh_buffer_seconds) == (
        CUSTOM["token_provider"],
        "id",
        300.0,
    )
    assert s.token_exchange_url == "http://127.0.0.1:8089/oauth/token"
    assert read({**CUSTOM, "token_type": None}).token_type == "jwt"
    assert read({**CUSTOM, "refresh_buffer_seconds": "60"}).refresh_buffer_seconds == 60.0


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({**KUBERNETES, "identity_provider_id": ""}, "identity_provider_id"),
        ({k: v for k, v in KUBERNETES.items() if k != "service_account_id"}, "service_account_id"),
        ({**IDS}, "workload_identity_provider"),
        ({**IDS, "workload_identity_provider": "aws"}, "workload_identity_provider"),
        ({k: v for k, v in CUSTOM.items() if k != "token_provider"}, "token_provider"),
        ({**CUSTOM, "token_provider": "get_token"}, "token_provider"),
        ({**CUSTOM, "token_type": "saml"}, "token_type"),
        ({**KUBERNETES, "refresh_buffer_seconds": "soon"}, "refresh_buffer_seconds"),
        ({**KUBERNETES, "refresh_buffer_seconds": True}, "refresh_buffer_seconds"),
        ({**KUBERNETES, "refresh_buffer_seconds": -1}, "refresh_buffer_seconds"),
        ({**KUBERNETES, "refresh_buffer_seconds": "nan"}, "refresh_buffer_seconds"),
        ({**KUBERNETES, "audience": 3}, "audience"),
    ],
)
def test_a_wrong_field_is_named(extra, field):
    with pytest.raises(ValueError, match=f"'openai_wif'.*'{field}'"):
        read(extra)


def test_fingerprint_is_stable_and_repr_is_short():
    assert read(AZURE).fingerprint == read(dict(reversed(list(AZURE.items())))).fingerprint
    assert read(AZURE).fingerprint != read({**AZURE, "client_id": "other"}).fingerprint
    assert (
        read(AZURE).fingerprint
        != WorkloadIdentitySettings.from_extra(AZURE, source="x", environ={}).fingerprint
    )
    text = repr(read(AZURE))
    assert "openai_wif" in text and "azure" in text and "msi_res_id" not in text
