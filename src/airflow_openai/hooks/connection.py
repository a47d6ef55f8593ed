"""From an Airflow connection (ours, or an `openai` one made for the other provider) to `ClientSettings`.

Empty fields fall back to the environment variables the OpenAI SDKs use, so a
worker configured for the SDK works here unchanged. A host given without a path is the
API's host, whose base URL is under /v1 (`http://127.0.0.1:8089` is read as
`http://127.0.0.1:8089/v1`); a host with a path is taken as given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from airflow_openai.client.identity.settings import WORKLOAD_IDENTITY, WorkloadIdentitySettings, auth_type_of
from airflow_openai.client.settings import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ClientSettings,
)

ENV_FALLBACKS = {
    "api_key": "OPENAI_API_KEY",
    "admin_api_key": "OPENAI_ADMIN_KEY",
    "organization": "OPENAI_ORG_ID",
    "project": "OPENAI_PROJECT_ID",
    "base_url": "OPENAI_BASE_URL",
}


def settings_from_connection(
    conn: Any | None,
    conn_id: str,
    environ: Mapping[str, str] | None = None,
    *,
    extra: Mapping[str, Any] | None = None,
) -> ClientSettings:
    """Resolve credentials and endpoint; `conn` may be None when only the environment is configured.

    `extra` is the connection's extras when the caller has already read them (an event loop
    reads them with the SDK's async masking rather than `conn.extra_dejson`).

    With extra `auth_type: workload_identity` no API key is read (neither the password nor
    `OPENAI_API_KEY`): calls carry an access token exchanged for the workload's identity, as the
    extras describe it (`WorkloadIdentitySettings.from_extra`, the incumbent provider's names);
    admin calls keep `admin_api_key`. A wrong or missing identity field raises `ValueError`.
    """
    env = os.environ if environ is None else environ
    if extra is None:
        extra = conn.extra_dejson if conn is not None else {}
    # apache-airflow-providers-openai keeps its client options under one extra key.
    legacy = extra.get("openai_client_kwargs")
    options = {**given(legacy if isinstance(legacy, dict) else {}), **given(extra)}

    def pick(name: str, *values: Any) -> Any:
        for value in values:
            if value not in (None, ""):
                return value
        fallback = ENV_FALLBACKS.get(name)
        return env.get(fallback) or None if fallback else None

    host = _base_url(conn) if conn is not None else None
    workload_identity = None
    if auth_type_of(options, conn_id) == WORKLOAD_IDENTITY:
        workload_identity = WorkloadIdentitySettings.from_extra(options, source=conn_id, environ=env)
    return ClientSettings(
        api_key=None
        if workload_identity is not None
        else pick("api_key", conn.password if conn is not None else None, options.get("api_key")),
        admin_api_key=pick("admin_api_key", options.get("admin_api_key")),
        base_url=pick("base_url", host, options.get("base_url")) or DEFAULT_BASE_URL,
        organization=pick("organization", options.get("organization")),
        project=pick("project", options.get("project")),
        timeout=float(pick("timeout", options.get("timeout")) or DEFAULT_TIMEOUT),
        max_retries=int(_first_set(options.get("max_retries"), DEFAULT_MAX_RETRIES)),
        source=conn_id,
        dashboard_url=pick("dashboard_url", options.get("dashboard_url")),
        output_root=pick("output_root", options.get("output_root")),
        workload_identity=workload_identity,
    )


def given(extra: Mapping[str, Any]) -> dict[str, Any]:
    """The extras that hold a value: null, "" and blanks are absent.

    Airflow 3's connection form sends every field it shows, a blank one as null, so a connection
    saved from the UI holds `"timeout": null`, `"dashboard_url": null`... Read as absent, each falls
    back to its environment variable or default as if it had never been written.
    """
    return {
        key: value
        for key, value in extra.items()
        if value is not None and not (isinstance(value, str) and not value.strip())
    }


def _base_url(conn: Any) -> str | None:
    host = (conn.host or "").strip()
    if not host:
        return None
    url = host if "://" in host else f"https://{host}"
    if conn.port and f":{conn.port}" not in url:
        scheme, rest = url.split("://", 1)
        netloc, _, path = rest.partition("/")
        url = f"{scheme}://{netloc}:{conn.port}" + (f"/{path}" if path else "")
    return _under_api_path(url)


def _under_api_path(url: str) -> str:
    """`url` with the API's /v1 path when it has none: a connection's host is often given bare
    (`api.openai.com`, `localhost:8089`), and every path of the API is then an "Invalid URL"."""
    from urllib.parse import urlsplit, urlunsplit

    from airflow_openai.client.errors import API_PATH

    parts = urlsplit(url)
    if parts.path.strip("/"):
        return url
    return urlunsplit(parts._replace(path=API_PATH))


def _first_set(*values: Any) -> Any:
    return next(value for value in values if value not in (None, ""))
