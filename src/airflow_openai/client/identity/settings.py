"""Workload identity as a connection describes it: the incumbent provider's extra field names.

A connection written for `apache-airflow-providers-openai` works unchanged::

    {"auth_type": "workload_identity", "identity_provider_id": "idp_...",
     "service_account_id": "sa_...", "workload_identity_provider": "kubernetes",
     "token_file_path": "/var/run/secrets/kubernetes.io/serviceaccount/token"}

`auth_type` is `api_key` (the default: nothing here applies) or `workload_identity`. The
subject token comes from `workload_identity_provider`: `kubernetes` (`token_file_path`),
`azure` (`resource`, `client_id`, `object_id`, `msi_res_id`, `api_version`), `gcp`
(`audience`) or `custom` (`token_provider`, a dotted path to a `Callable[[], str]`, and
`token_type`, `jwt` or `id`). `refresh_buffer_seconds` and `token_exchange_url` are optional.

Two fields are ours, for tests and emulators: `metadata_url` (extra) replaces the Azure IMDS or
GCP metadata URL, as do the environment variables `AIRFLOW_OPENAI_AZURE_IMDS_URL` and
`AIRFLOW_OPENAI_GCP_METADATA_URL`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

API_KEY = "api_key"
WORKLOAD_IDENTITY = "workload_identity"
AUTH_TYPES = (API_KEY, WORKLOAD_IDENTITY)
PROVIDERS = ("kubernetes", "azure", "gcp", "custom")

DEFAULT_TOKEN_EXCHANGE_URL = "https://auth.openai.com/oauth/token"
DEFAULT_REFRESH_BUFFER_SECONDS = 1200.0
DEFAULT_TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token"
DEFAULT_AZURE_RESOURCE = "https://management.azure.com/"
DEFAULT_AZURE_API_VERSION = "2018-02-01"
DEFAULT_GCP_AUDIENCE = "https://api.openai.com/v1"
AZURE_IMDS_URL = "http://169.254.169.254/metadata/identity/oauth2/token"
GCP_METADATA_URL = (
    "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/identity"
)
METADATA_URL_ENV = {"azure": "AIRFLOW_OPENAI_AZURE_IMDS_URL", "gcp": "AIRFLOW_OPENAI_GCP_METADATA_URL"}
DEFAULT_METADATA_URL = {"azure": AZURE_IMDS_URL, "gcp": GCP_METADATA_URL}
TOKEN_TYPES = ("jwt", "id")
DEFAULT_TIMEOUT = 10.0


def auth_type_of(extra: Mapping[str, Any], source: str = "settings") -> str:
    """`api_key` unless the extra asks for `workload_identity`; anything else is refused."""
    value = extra.get("auth_type")
    if value in (None, ""):
        return API_KEY
    if value not in AUTH_TYPES:
        raise ValueError(
            f"Connection {source!r}: extra 'auth_type' is {value!r}; expected one of {', '.join(AUTH_TYPES)}"
        )
    return str(value)


@dataclass(frozen=True, repr=False)
class WorkloadIdentitySettings:
    """Where a subject token comes from and where it is exchanged: plain values, no secrets.

    Nothing here is a credential (ids, paths, URLs), but `repr` still shows only what a reader
    of a log needs: the connection, the provider, the ids and the exchange URL.
    """

    identity_provider_id: str
    service_account_id: str
    provider: str
    source: str = "settings"
    token_file_path: str = DEFAULT_TOKEN_FILE
    resource: str = DEFAULT_AZURE_RESOURCE
    client_id: str | None = None
    object_id: str | None = None
    msi_res_id: str | None = None
    api_version: str = DEFAULT_AZURE_API_VERSION
    audience: str = DEFAULT_GCP_AUDIENCE
    token_provider: str | None = None
    token_type: str = "jwt"
    metadata_url: str | None = None
    refresh_buffer_seconds: float = DEFAULT_REFRESH_BUFFER_SECONDS
    token_exchange_url: str = DEFAULT_TOKEN_EXCHANGE_URL
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_extra(
        cls,
        extra: Mapping[str, Any],
        *,
        source: str = "settings",
        environ: Mapping[str, str] | None = None,
    ) -> WorkloadIdentitySettings:
        """Read a connection's extras; a missing or wrong field raises `ValueError` naming it."""
        env = os.environ if environ is None else environ

        def text(name: str, default: str | None = None) -> str | None:
            value = extra.get(name)
            if value in (None, ""):
                return default
            if not isinstance(value, str):
                raise ValueError(f"Connection {source!r}: extra {name!r} must be a string, not {value!r}")
            return value.strip()

        def required(name: str) -> str:
            value = text(name)
            if not value:
                raise ValueError(
                    f"Connection {source!r}: workload identity needs extra {name!r}; it is not set"
                )
            return value

        identity_provider_id = required("identity_provider_id")
        service_account_id = required("service_account_id")
        provider = required("workload_identity_provider")
        if provider not in PROVIDERS:
            raise ValueError(
                f"Connection {source!r}: extra 'workload_identity_provider' is {provider!r}; "
                f"expected one of {', '.join(PROVIDERS)}"
            )
        token_provider = text("token_provider")
        token_type = text("token_type", "jwt") or "jwt"
        if provider == "custom":
            if not token_provider:
                raise ValueError(
                    f"Connection {source!r}: workload_identity_provider 'custom' needs extra "
                    "'token_provider', the dotted path to a callable returning the subject token"
                )
            if "." not in token_provider.replace(":", "."):
                raise ValueError(
                    f"Connection {source!r}: extra 'token_provider' is {token_provider!r}; "
                    "expected a dotted path such as 'my_package.tokens.get_token'"
                )
            if token_type not in TOKEN_TYPES:
                raise ValueError(
                    f"Connection {source!r}: extra 'token_type' is {token_type!r}; expected 'jwt' or 'id'"
                )
        metadata_url = text("metadata_url") or (
            env.get(METADATA_URL_ENV[provider]) or None if provider in METADATA_URL_ENV else None
        )
        return cls(
            identity_provider_id=identity_provider_id,
            service_account_id=service_account_id,
            provider=provider,
            source=source,
            token_file_path=text("token_file_path", DEFAULT_TOKEN_FILE) or DEFAULT_TOKEN_FILE,
            resource=text("resource", DEFAULT_AZURE_RESOURCE) or DEFAULT_AZURE_RESOURCE,
            client_id=text("client_id"),
            object_id=text("object_id"),
            msi_res_id=text("msi_res_id"),
            api_version=text("api_version", DEFAULT_AZURE_API_VERSION) or DEFAULT_AZURE_API_VERSION,
            audience=text("audience", DEFAULT_GCP_AUDIENCE) or DEFAULT_GCP_AUDIENCE,
            token_provider=token_provider if provider == "custom" else None,
            token_type=token_type if provider == "custom" else "jwt",
            metadata_url=metadata_url,
            refresh_buffer_seconds=_seconds(extra.get("refresh_buffer_seconds"), source),
            token_exchange_url=text("token_exchange_url", DEFAULT_TOKEN_EXCHANGE_URL)
            or DEFAULT_TOKEN_EXCHANGE_URL,
        )

    @property
    def subject_token_url(self) -> str | None:
        """The metadata endpoint asked for the subject token (Azure, GCP), None for the others."""
        if self.provider not in DEFAULT_METADATA_URL:
            return None
        return self.metadata_url or DEFAULT_METADATA_URL[self.provider]

    @property
    def fingerprint(self) -> str:
        """Stable across processes and runs: the key of the process's one token source."""
        fields = json.dumps(dataclasses.asdict(self), sort_keys=True)
        return hashlib.sha256(fields.encode()).hexdigest()[:32]

    def __repr__(self) -> str:
        return (
            f"WorkloadIdentitySettings(source={self.source!r}, provider={self.provider!r}, "
            f"identity_provider_id={self.identity_provider_id!r}, "
            f"service_account_id={self.service_account_id!r}, "
            f"token_exchange_url={self.token_exchange_url!r})"
        )


def _seconds(value: Any, source: str) -> float:
    if value in (None, ""):
        return DEFAULT_REFRESH_BUFFER_SECONDS
    try:
        if isinstance(value, bool):
            raise TypeError
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(
            f"Connection {source!r}: extra 'refresh_buffer_seconds' is {value!r}; "
            "expected a number of seconds, 0 or more"
        )
    return seconds
