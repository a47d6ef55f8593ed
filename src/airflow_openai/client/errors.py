"""One exception hierarchy for everything the API or the network can do to a call.

Every status error carries what a user needs to report or act on it: the HTTP status,
the `x-request-id` to quote to OpenAI support, and the fields of the error envelope
(`type`, `code`, `param`, `message`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # httpx is imported only once an error is made: `transient` imports this module cheaply
    import httpx


class OpenAIError(Exception):
    """Base class of every error this provider raises about the OpenAI API."""


class MissingCredentialsError(OpenAIError):
    """No API key (or no admin key for `/organization/*`) could be found: nothing was sent."""


class WorkloadIdentityError(OpenAIError):
    """No OpenAI access token could be had by workload identity: the subject token could not be
    read (a token file, a metadata server, a custom provider) or the exchange failed.

    `source` names the connection, `transient` says whether asking again later may succeed (the
    exchange or the metadata server unreachable, a 429 or 5xx). The message never holds a token.
    """

    def __init__(self, message: str, *, source: str = "", transient: bool = False) -> None:
        super().__init__(message)
        self.source = source
        self.transient = transient


class UnencodableTextError(OpenAIError, ValueError):
    """A request holds text the API cannot be sent (not UTF-8: a lone surrogate such as
    ``"\\ud800"``), or a number JSON cannot hold (NaN, Infinity): refused before sending.

    `field` names where (``metadata.title``, ``messages[1].content``, ``tool_outputs[0].output``,
    ``query parameter 'after'``), `reason` what is wrong there. Never transient: sending again
    would send the same text. The message holds no surrogate itself, so it can always be logged.
    """

    def __init__(self, request: str, field: str, reason: str) -> None:
        self.request = request
        self.field = field
        self.reason = reason
        super().__init__(f"Cannot send {request}: {field} {reason}; the request was not sent")


class InvalidRequestError(OpenAIError, ValueError):
    """A request body its spec-named request model refuses (a missing field, a wrong type, a value
    out of range, a value the spec does not list), refused before sending.

    `field` names where (``temperature``, ``messages[0].role``), `reason` what is wrong there.
    Never transient: sending again would send the same body.
    """

    def __init__(self, request: str, field: str, reason: str) -> None:
        self.request = request
        self.field = field
        self.reason = reason
        super().__init__(f"Cannot send {request}: {field}: {reason}; the request was not sent")


class APIConnectionError(OpenAIError):
    """The request never got a complete HTTP answer (refused, reset, DNS, TLS, cut short...).

    `sent` is False only when the request certainly never reached the server (no
    connection could be made): then the server cannot have acted on it.
    """

    def __init__(self, message: str, *, method: str = "", url: str = "", sent: bool = True) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.sent = sent


class APITimeoutError(APIConnectionError):
    """The request timed out before an answer arrived."""


class IncompleteDownloadError(APIConnectionError):
    """A download ended with fewer (or more) bytes than the file holds; nothing short is kept."""


class AnswerLostError(OpenAIError):
    """A create was sent and its answer lost, and it cannot be looked up: it is not sent again,
    since the server may already have made (and will charge for) what it asked for."""


class InvalidResponseError(OpenAIError):
    """The API answered, but with a body this provider cannot read (not JSON, or not the expected object)."""

    def __init__(self, message: str, *, status_code: int, request_id: str | None = None) -> None:
        self.status_code = status_code
        self.request_id = request_id
        suffix = f" (HTTP {status_code}" + (f", request_id={request_id})" if request_id else ")")
        super().__init__(message + suffix)


class APIStatusError(OpenAIError):
    """The API answered with a non-success status."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None = None,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        body: Any = None,
        headers: httpx.Headers | None = None,
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.request_id = request_id
        self.type = type
        self.code = code
        self.param = param
        self.body = body
        if headers is None:
            import httpx

            headers = httpx.Headers()
        self.headers = headers
        super().__init__(self._describe())

    def _describe(self) -> str:
        details = [f"HTTP {self.status_code}"]
        if self.type:
            details.append(f"type={self.type}")
        if self.code:
            details.append(f"code={self.code}")
        if self.param:
            details.append(f"param={self.param}")
        if self.request_id:
            details.append(f"request_id={self.request_id}")
        return f"{self.message} ({', '.join(details)})"


class StreamError(APIStatusError):
    """An error event in the middle of a streamed answer (after a success status): the answer
    stops there. Carries the event's `type`, `code`, `param` and `message`."""


class BadRequestError(APIStatusError):
    """400: the request is malformed or names something invalid; retrying will not help."""


class AuthenticationError(APIStatusError):
    """401: the key is missing, wrong or revoked."""


class PermissionDeniedError(APIStatusError):
    """403: the key is valid but may not do this (e.g. a project key on an admin endpoint)."""


class NotFoundError(APIStatusError):
    """404: no such object, or not visible to this key's project."""


class ConflictError(APIStatusError):
    """409: the object is in a state that forbids this change right now."""


class UnprocessableEntityError(APIStatusError):
    """422: the body was understood but its values cannot be processed."""


class RateLimitError(APIStatusError):
    """429: too many requests or tokens, or the quota is used up."""


class InternalServerError(APIStatusError):
    """5xx: the API failed; usually transient."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


API_PATH = "/v1"
"""The path an OpenAI-compatible base URL ends in (`https://api.openai.com/v1`, `http://localhost:8000/v1`)."""


def error_from_response(response: httpx.Response, base_url: str | None = None) -> APIStatusError:
    """Build the typed error for a non-success response, reading the OpenAI error envelope.

    A 404 "Invalid URL" from a `base_url` that does not end in /v1 says so: the path the service
    does not know is then most likely the base URL's, not the call's.
    """
    body: Any
    try:
        body = response.json()
    except ValueError:
        body = response.text or None
    envelope = body.get("error") if isinstance(body, dict) else None
    if isinstance(envelope, dict):
        message = str(envelope.get("message") or response.reason_phrase)
        fields = {key: _text_or_none(envelope.get(key)) for key in ("type", "code", "param")}
    else:
        message = (body if isinstance(body, str) and body else response.reason_phrase) or "HTTP error"
        fields = {"type": None, "code": None, "param": None}
    status = response.status_code
    if status == 404 and message.startswith("Invalid URL") and base_url and _misses_api_path(base_url):
        message += (
            f"; the base URL {_shown(base_url)} does not end in {API_PATH}, and the base URL usually ends in "
            f"{API_PATH} (https://api.openai.com{API_PATH}): check the connection's host (or OPENAI_BASE_URL)"
        )
    cls = _BY_STATUS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    return cls(
        message,
        status_code=status,
        request_id=response.headers.get("x-request-id"),
        body=body,
        headers=response.headers,
        **fields,
    )


def _misses_api_path(base_url: str) -> bool:
    from urllib.parse import urlsplit

    return not urlsplit(base_url).path.rstrip("/").endswith(API_PATH)


def _shown(base_url: str) -> str:
    """`base_url` without any user or password it holds, for an error message."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(base_url)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=netloc))


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
