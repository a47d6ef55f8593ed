"""The I/O-free half of an exchange: building requests, translating failures, reading answers.

Both transports call these functions; they differ only in how bytes move (and httpx moves them).
"""

from __future__ import annotations

import contextlib
import functools
import ssl
from collections.abc import Iterator
from typing import Any, TypeVar

import httpx

from airflow_openai import __version__
from airflow_openai.client.calls import ApiCall
from airflow_openai.client.errors import (
    APIConnectionError,
    APITimeoutError,
    IncompleteDownloadError,
    InvalidResponseError,
    MissingCredentialsError,
    error_from_response,
)
from airflow_openai.client.settings import ClientSettings
from airflow_openai.client.text import check_fields, json_body

T = TypeVar("T")

USER_AGENT = f"airflow-provider-openai/{__version__}"
DOWNLOAD_CHUNK = 1 << 20
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Failures before a connection carried any of the request: the server cannot have acted."""


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every client of the process.

    Building one reads the CA bundle from disk: 25-90 ms of CPU, which a triggerer's event
    loop would otherwise spend for each new client. `OpenAIHook.atransport` builds it in a
    worker thread before the first async client needs it.
    """
    return httpx.create_ssl_context()


def tls_context_ready() -> bool:
    """True once `tls_context` has been built, so that asking for it costs nothing."""
    return tls_context.cache_info().currsize > 0


def client_options() -> dict[str, Any]:
    """Constructor arguments shared by `httpx.Client` and `httpx.AsyncClient`.

    No base URL and no timeout: each request carries its own (`build_request`), so that one async
    client serves every hook of an event loop whatever connection it uses. No transport either:
    httpx then honours HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY from the environment
    (`trust_env`), in a worker and in a triggerer alike.
    """
    return {
        "verify": tls_context(),
        "headers": {"User-Agent": USER_AGENT, "Accept": "application/json"},
        "trust_env": True,
        # A redirect would carry the Authorization header to wherever it points: never followed.
        "follow_redirects": False,
    }


@functools.lru_cache(maxsize=64)
def timeout_of(settings: ClientSettings) -> dict[str, float | None]:
    """The request extension httpx reads a request's timeouts from, built once per settings."""
    return httpx.Timeout(settings.timeout, connect=min(settings.timeout, 10.0)).as_dict()


def uses_access_token(settings: ClientSettings, call: ApiCall[Any]) -> bool:
    """True when `call` is authorized by a workload identity's access token, not by a key.

    Admin calls (`/organization/*`) keep the admin key: the API takes no access token there.
    """
    return settings.workload_identity is not None and not call.admin


def credential_headers(
    settings: ClientSettings, call: ApiCall[Any], access_token: str | None = None
) -> dict[str, str]:
    """Authorization and scoping headers; raises before any request when the key is missing.

    `access_token` is the workload identity's token, fetched by the transport (this module does
    no I/O); it is the bearer whenever `uses_access_token(settings, call)`.
    """
    if uses_access_token(settings, call):
        if not access_token:
            raise MissingCredentialsError(
                f"No OpenAI access token for {call.describe}: connection {settings.source!r} "
                "uses workload identity and the transport fetched none"
            )
        return {"Authorization": f"Bearer {access_token}", **_scope_headers(settings, call.admin)}
    headers = _credential_headers(settings, call.admin)
    if headers is not None:
        return headers
    if call.admin:
        raise MissingCredentialsError(
            f"{call.describe} is an organization admin endpoint and needs an admin API key; "
            f"none is set in connection {settings.source!r} (extra 'admin_api_key') "
            "or in OPENAI_ADMIN_KEY"
        )
    raise MissingCredentialsError(
        f"No OpenAI API key for {call.describe}: set the password of connection "
        f"{settings.source!r} or the OPENAI_API_KEY environment variable"
    )


@functools.lru_cache(maxsize=64)
def _credential_headers(settings: ClientSettings, admin: bool) -> dict[str, str] | None:
    """The headers for one set of settings, built once (None when the key is missing).

    Callers get the same dict each time: httpx copies it into each request, never changes it.
    """
    key = settings.admin_api_key if admin else settings.api_key
    if not key:
        return None
    return {"Authorization": f"Bearer {key}", **_scope_headers(settings, admin)}


@functools.lru_cache(maxsize=64)
def _scope_headers(settings: ClientSettings, admin: bool) -> dict[str, str]:
    """`OpenAI-Organization` and (but for admin calls) `OpenAI-Project`, as the settings give them."""
    headers = {}
    if settings.organization:
        headers["OpenAI-Organization"] = settings.organization
    if settings.project and not admin:
        headers["OpenAI-Project"] = settings.project
    return headers


@functools.lru_cache(maxsize=4096)
def request_url(base_url: str, path: str) -> httpx.URL:
    """`path` under `base_url` (which ends in `/`), parsed once per path.

    A triggerer polls the same few thousand paths over and over; handing httpx a parsed
    absolute URL spares it parsing and merging two URLs for every request.
    """
    return httpx.URL(base_url + path.lstrip("/"))


def build_request(
    client: httpx.Client | httpx.AsyncClient,
    settings: ClientSettings,
    call: ApiCall[Any],
    access_token: str | None = None,
) -> httpx.Request:
    """The httpx request for one attempt of `call` (file bodies rewound to their start).

    `access_token` is the bearer when the settings use workload identity (`credential_headers`);
    building again with a fresh one after a 401 re-sends the same body, files included.

    Text that cannot be sent (not UTF-8) is an `UnencodableTextError` naming its field, raised
    here, before anything goes out (`text`); the JSON body is encoded once, as httpx would.
    """
    check_fields(call)
    files = call.multipart()
    body = json_body(call) if files is None else None
    headers = request_headers(settings, call, access_token)
    return client.build_request(
        call.method,
        request_url(settings.base_url + "/", call.path),
        params=call.query(),
        content=body,
        data=dict(call.form) if call.form else None,
        files=files,  # type: ignore[arg-type]  # httpx types file bodies as typing.IO; a Window is an io.RawIOBase
        headers=headers if body is None else {**headers, **JSON_CONTENT},
        extensions={"timeout": timeout_of(settings)},
    )


JSON_CONTENT = {"Content-Type": "application/json"}


ASSISTANTS_PATHS = ("/assistants", "/threads")
"""The Assistants API, which the service answers only with an `OpenAI-Beta: assistants=v2` header."""
ASSISTANTS_BETA = {"OpenAI-Beta": "assistants=v2"}


def request_headers(
    settings: ClientSettings, call: ApiCall[Any], access_token: str | None = None
) -> dict[str, str]:
    """The credentials, and on the Assistants API's paths the beta header it requires."""
    headers = credential_headers(settings, call, access_token)
    if any(call.path == root or call.path.startswith(root + "/") for root in ASSISTANTS_PATHS):
        return {**headers, **ASSISTANTS_BETA}
    return headers


@contextlib.contextmanager
def translated_transport_errors(request: httpx.Request) -> Iterator[None]:
    """Turn httpx's network exceptions into this provider's connection errors."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise APITimeoutError(
            f"{_where(request)} timed out: {exc or type(exc).__name__}",
            method=request.method,
            url=str(request.url),
            sent=not isinstance(exc, NEVER_SENT),
        ) from exc
    except httpx.TransportError as exc:
        raise APIConnectionError(
            f"{_where(request)} could not reach the API: {exc or type(exc).__name__}",
            method=request.method,
            url=str(request.url),
            sent=not isinstance(exc, NEVER_SENT),
        ) from exc


def _where(request: httpx.Request) -> str:
    return f"{request.method} {request.url.copy_with(query=None)}"


def parse_page(call: ApiCall[T], page: Any, response: httpx.Response) -> list[T]:
    """The items of one list page, each read by the call's parser."""
    data = page.get("data") if isinstance(page, dict) else None
    if data is not None and not isinstance(data, list):
        raise _unreadable(call, response, "a list page whose 'data' is not a list")
    return [parse_answer(call, item, response) for item in data or []]


def answer_of(call: ApiCall[Any], response: httpx.Response) -> Any:
    """What the call's parser reads: the answer's text for a call answered in plain text, else its JSON."""
    return response.text if call.text else decode_json(call, response)


def decode_json(call: ApiCall[Any], response: httpx.Response) -> Any:
    """The JSON of a successful answer, or an `InvalidResponseError` naming the request."""
    try:
        return response.json()
    except ValueError as exc:
        raise _unreadable(call, response, f"a body that is not JSON ({exc})") from None


def parse_answer(call: ApiCall[T], value: Any, response: httpx.Response) -> T:
    """The call's model of `value`, or an `InvalidResponseError` naming the request."""
    try:
        return call.parse(value)
    except (ValueError, TypeError, KeyError) as exc:  # pydantic's ValidationError is a ValueError
        raise _unreadable(call, response, f"an object it cannot read: {exc}") from None


def check_complete(call: ApiCall[Any], response: httpx.Response, written: int, expected: int | None) -> None:
    """A downloaded body must be as long as the file it is: a short one is never taken as whole."""
    if expected is not None and written != expected:
        raise IncompleteDownloadError(
            f"{call.describe} delivered {written:,} of the file's {expected:,} bytes",
            method=call.method,
            url=str(response.request.url),
        )


def raise_for_error(response: httpx.Response, base_url: str | None = None) -> None:
    """Raise the typed error for a non-success response whose body has been read (a 404 "Invalid
    URL" says when `base_url`, the one the request was sent under, lacks /v1).

    Redirects are errors too: following one would send the key to another address.
    """
    if response.is_error:
        raise error_from_response(response, base_url)
    if response.is_redirect:
        target = response.headers.get("location", "?")
        raise InvalidResponseError(
            f"{response.request.method} {response.request.url.copy_with(query=None)} answered with a "
            f"redirect to {target}, which is not followed so that the API key does not leave for "
            "another address; set the connection's host to the final URL",
            status_code=response.status_code,
            request_id=response.headers.get("x-request-id"),
        )


def _unreadable(call: ApiCall[Any], response: httpx.Response, what: str) -> InvalidResponseError:
    return InvalidResponseError(
        f"{call.describe} answered with {what}",
        status_code=response.status_code,
        request_id=response.headers.get("x-request-id"),
    )
