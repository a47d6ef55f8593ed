"""The HTTP core: one request pipeline for sync and async I/O.

`calls` describe API calls as plain data, `errors` maps responses to exceptions,
`transient` says which failures pass by waiting, `policy` retries them (with tenacity), and
`transport` runs calls through httpx (one async client per event loop, `loop_clients`);
`checked` refuses request bodies their spec-named models refuse, `sse` reads streamed answers
and `rate_limits` the `x-ratelimit-*` headers of every answer.
"""

from airflow_openai.client.errors import (
    AnswerLostError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    IncompleteDownloadError,
    InternalServerError,
    InvalidRequestError,
    InvalidResponseError,
    MissingCredentialsError,
    NotFoundError,
    OpenAIError,
    PermissionDeniedError,
    RateLimitError,
    StreamError,
    UnencodableTextError,
    UnprocessableEntityError,
    WorkloadIdentityError,
)
from airflow_openai.client.settings import ClientSettings

__all__ = [
    "AnswerLostError",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientSettings",
    "ConflictError",
    "IncompleteDownloadError",
    "InternalServerError",
    "InvalidRequestError",
    "InvalidResponseError",
    "MissingCredentialsError",
    "NotFoundError",
    "OpenAIError",
    "PermissionDeniedError",
    "RateLimitError",
    "StreamError",
    "UnencodableTextError",
    "UnprocessableEntityError",
    "WorkloadIdentityError",
]
