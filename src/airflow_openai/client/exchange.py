"""The I/O-free half of an exchange: building requests, translating failures, reading answers.

Both transports call these functions; they differ only in how bytes move.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, TypeVar

import httpx

from airflow_openai import __version__
from airflow_openai.client.calls import ApiCall
from airflow_openai.client.errors import (
    APIConnectionError,
    APITimeoutError,
    MissingCredentialsError,
    error_from_response,
)
from airflow_openai.client.settings import ClientSettings

T = TypeVar("T")

USER_AGENT = f"airflow-provider-openai/{__version__}"
DOWNLOAD_CHUNK = 1 << 20


def client_options(settings: ClientSettings) -> dict[str, Any]:
    """Constructor arguments shared by `httpx.Client` and `httpx.AsyncClient`."""
    return {
        "base_url": settings.base_url + "/",
        "timeout": httpx.Timeout(settings.timeout, connect=min(settings.timeout, 10.0)),
        "headers": {"User-Agent": USER_AGENT, "Accept": "application/json"},
        "follow_redirects": True,
    }


def credential_headers(settings: ClientSettings, call: ApiCall[Any]) -> dict[str, str]:
    """Authorization and scoping headers; raises before any request when the key is missing."""
    if call.admin:
        key = settings.admin_api_key
        if not key:
            raise MissingCredentialsError(
                f"{call.describe} is an organization admin endpoint and needs an admin API key; "
                f"none is set in connection {settings.source!r} (extra 'admin_api_key') "
                "or in OPENAI_ADMIN_KEY"
            )
    else:
        key = settings.api_key
        if not key:
            raise MissingCredentialsError(
                f"No OpenAI API key for {call.describe}: set the password of connection "
                f"{settings.source!r} or the OPENAI_API_KEY environment variable"
            )
    headers = {"Authorization": f"Bearer {key}"}
    if settings.organization:
        headers["OpenAI-Organization"] = settings.organization
    if settings.project and not call.admin:
        headers["OpenAI-Project"] = settings.project
    return headers


def build_request(
    client: httpx.Client | httpx.AsyncClient, settings: ClientSettings, call: ApiCall[Any]
) -> httpx.Request:
    """The httpx request for one attempt of `call` (file bodies rewound to their start)."""
    files = call.multipart()
    return client.build_request(
        call.method,
        call.path.lstrip("/"),
        params=call.query(),
        json=call.json if files is None else None,
        data=dict(call.form) if call.form else None,
        files=files,
        headers=credential_headers(settings, call),
    )


@contextlib.contextmanager
def translated_transport_errors(request: httpx.Request) -> Iterator[None]:
    """Turn httpx's network exceptions into this provider's connection errors."""
    where = f"{request.method} {request.url.copy_with(query=None)}"
    try:
        yield
    except httpx.TimeoutException as exc:
        raise APITimeoutError(
            f"{where} timed out: {exc}", method=request.method, url=str(request.url)
        ) from exc
    except httpx.TransportError as exc:
        raise APIConnectionError(
            f"{where} could not reach the API: {exc or type(exc).__name__}",
            method=request.method,
            url=str(request.url),
        ) from exc


def parse_page(call: ApiCall[T], page: dict[str, Any]) -> list[T]:
    return [call.parse(item) for item in page.get("data") or []]


def raise_for_error(response: httpx.Response) -> None:
    """Raise the typed error for a non-success response whose body has been read."""
    if response.is_error:
        raise error_from_response(response)
