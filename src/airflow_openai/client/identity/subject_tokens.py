"""Subject tokens: what the workload proves it is, read where its platform puts it.

One small provider per source, each a callable answering a `SubjectToken` (the token and the
URN of its type) and blocking: a token source calls it in a worker thread, never on an event
loop. The requests are the openai SDK's (`openai/auth/_workload.py`): the Kubernetes token
file; Azure IMDS with `Metadata: true` and `api-version`, `resource` and the optional
`client_id`, `object_id`, `msi_res_id`; the GCP metadata identity endpoint with
`Metadata-Flavor: Google` and `audience`. The metadata servers are link-local, so they are asked
without any proxy from the environment. Errors name the source, never the token.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from airflow_openai.client.errors import WorkloadIdentityError
from airflow_openai.client.identity.settings import WorkloadIdentitySettings

SUBJECT_TOKEN_TYPES = {
    "jwt": "urn:ietf:params:oauth:token-type:jwt",
    "id": "urn:ietf:params:oauth:token-type:id_token",
}


@dataclass(frozen=True)
class SubjectToken:
    """A subject token and its type's URN; `repr` hides the token."""

    value: str = field(repr=False)
    token_type: str


SubjectTokenProvider = Callable[[], SubjectToken]


def provider_for(settings: WorkloadIdentitySettings) -> SubjectTokenProvider:
    """The provider the settings name (validated by `WorkloadIdentitySettings.from_extra`)."""
    if settings.provider == "kubernetes":
        return KubernetesTokenFile(settings)
    if settings.provider == "azure":
        return AzureManagedIdentity(settings)
    if settings.provider == "gcp":
        return GcpIdentityToken(settings)
    if settings.provider == "custom":
        return CustomTokenProvider(settings)
    raise WorkloadIdentityError(
        f"Connection {settings.source!r}: unknown workload identity provider {settings.provider!r}",
        source=settings.source,
    )


class KubernetesTokenFile:
    """The projected service account token, read again each time (the kubelet rotates it)."""

    def __init__(self, settings: WorkloadIdentitySettings) -> None:
        self.settings = settings

    def __call__(self) -> SubjectToken:
        path = self.settings.token_file_path
        where = f"Connection {self.settings.source!r}: the Kubernetes token file {path}"
        try:
            token = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise WorkloadIdentityError(
                f"{where} could not be read ({type(error).__name__}: {getattr(error, 'strerror', None) or 'unreadable'})",
                source=self.settings.source,
            ) from None
        if not token:
            raise WorkloadIdentityError(f"{where} is empty", source=self.settings.source)
        return SubjectToken(token, SUBJECT_TOKEN_TYPES["jwt"])


class _MetadataServer:
    """A metadata endpoint asked with one blocking client, no proxy, no redirect."""

    name = ""

    def __init__(self, settings: WorkloadIdentitySettings) -> None:
        self.settings = settings
        self.url = settings.subject_token_url or ""
        self._client = httpx.Client(trust_env=False, follow_redirects=False, timeout=settings.timeout)

    def _get(self, params: dict[str, str], headers: dict[str, str]) -> httpx.Response:
        try:
            response = self._client.get(self.url, params=params, headers=headers)
        except httpx.HTTPError as error:
            raise self._error(f"could not be reached ({type(error).__name__})", transient=True) from None
        if response.is_error or response.is_redirect:
            transient = response.status_code in (408, 410, 429) or response.status_code >= 500
            raise self._error(f"answered HTTP {response.status_code}", transient=transient)
        return response

    def _error(self, what: str, transient: bool = False) -> WorkloadIdentityError:
        return WorkloadIdentityError(
            f"Connection {self.settings.source!r}: {self.name} at {self.url} {what}",
            source=self.settings.source,
            transient=transient,
        )

    def close(self) -> None:
        self._client.close()


class AzureManagedIdentity(_MetadataServer):
    """An Azure managed identity's access token from the Instance Metadata Service (IMDS)."""

    name = "the Azure managed identity endpoint (IMDS)"

    def __call__(self) -> SubjectToken:
        s = self.settings
        params = {"api-version": s.api_version, "resource": s.resource}
        for key, value in (
            ("object_id", s.object_id),
            ("client_id", s.client_id),
            ("msi_res_id", s.msi_res_id),
        ):
            if value is not None:
                params[key] = value
        response = self._get(params, {"Metadata": "true"})
        try:
            body = response.json()
        except ValueError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise self._error("answered without an access_token")
        return SubjectToken(token, SUBJECT_TOKEN_TYPES["jwt"])


class GcpIdentityToken(_MetadataServer):
    """A Google-signed identity token for `audience` from the GCP metadata server."""

    name = "the GCP metadata server"

    def __call__(self) -> SubjectToken:
        response = self._get({"audience": self.settings.audience}, {"Metadata-Flavor": "Google"})
        token = response.text.strip()
        if not token:
            raise self._error("answered an empty identity token")
        return SubjectToken(token, SUBJECT_TOKEN_TYPES["id"])


class CustomTokenProvider:
    """A `Callable[[], str]` named by dotted path (`pkg.module.func` or `pkg.module:func`).

    It is imported at the first call and runs in the process that uses the connection: point it
    only at trusted code.
    """

    def __init__(self, settings: WorkloadIdentitySettings) -> None:
        self.settings = settings
        self._function: Callable[[], object] | None = None

    def __call__(self) -> SubjectToken:
        path = self.settings.token_provider or ""
        where = f"Connection {self.settings.source!r}: the custom token provider {path!r}"
        function = self._function or self._load(path, where)
        try:
            token = function()
        except Exception as error:  # the user's code: its failure is named, its message kept out
            raise WorkloadIdentityError(
                f"{where} failed ({type(error).__name__})", source=self.settings.source
            ) from None
        if not isinstance(token, str) or not token.strip():
            raise WorkloadIdentityError(
                f"{where} returned {'an empty string' if isinstance(token, str) else type(token).__name__}"
                "; expected the subject token as a non-empty str",
                source=self.settings.source,
            )
        return SubjectToken(token.strip(), SUBJECT_TOKEN_TYPES[self.settings.token_type])

    def _load(self, path: str, where: str) -> Callable[[], object]:
        module_name, _, attribute = path.replace(":", ".").rpartition(".")
        try:
            function = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as error:
            raise WorkloadIdentityError(
                f"{where} cannot be imported ({type(error).__name__}: {error})", source=self.settings.source
            ) from None
        if not callable(function):
            raise WorkloadIdentityError(f"{where} is not callable", source=self.settings.source)
        self._function = function
        return function
