"""The HTTP core: one request pipeline for sync and async I/O.

`calls` describe API calls as plain data, `policy` decides retries, `errors` maps
responses to exceptions, and `transport` is the only place that performs I/O.
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
    InvalidResponseError,
    MissingCredentialsError,
    NotFoundError,
    OpenAIError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
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
    "InvalidResponseError",
    "MissingCredentialsError",
    "NotFoundError",
    "OpenAIError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
]
