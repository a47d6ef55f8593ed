"""The one definition of a transient failure, shared by the HTTP retry and the outage waits."""

from __future__ import annotations

import httpx
import pytest

from airflow_openai.client import (
    AnswerLostError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    IncompleteDownloadError,
    InvalidResponseError,
    MissingCredentialsError,
    WorkloadIdentityError,
)
from airflow_openai.client.errors import RateLimitError
from airflow_openai.client.policy import retried_download
from airflow_openai.client.transient import is_transient
from airflow_openai.outage import is_outage


def status(code: int, error_code: str | None = None, **headers: str) -> APIStatusError:
    return APIStatusError("x", status_code=code, code=error_code, headers=httpx.Headers(headers))


TRANSIENT = {
    "connection refused": APIConnectionError("refused", sent=False),
    "connection dropped": APIConnectionError("reset"),
    "timeout": APITimeoutError("slow"),
    "408": status(408),
    "409 lock conflict": status(409),
    "429 rate limit": RateLimitError("slow down", status_code=429, code="rate_limit_exceeded"),
    "429 without a code": status(429),
    "500": status(500),
    "502": status(502),
    "503": status(503),
    "504": status(504),
    "520 from a CDN": status(520),
    "400 the server says to retry": status(400, **{"x-should-retry": "true"}),
    "token exchange unreachable": WorkloadIdentityError("unreachable", transient=True),
}
LASTING = {
    "400": status(400),
    "401": status(401),
    "403": status(403),
    "404": status(404),
    "422": status(422),
    "418": status(418),
    "501 not implemented": status(501),
    "505": status(505),
    "511": status(511),
    "429 quota used up": status(429, "insufficient_quota"),
    "429 budget used up": status(429, "billing_hard_limit_reached"),
    "503 the server says not to retry": status(503, **{"x-should-retry": "false"}),
    "a short download": IncompleteDownloadError("1,000 of 2,000 bytes"),
    "a lost create": AnswerLostError("sent, answer lost"),
    "an unreadable answer": InvalidResponseError("not JSON", status_code=200),
    "no key": MissingCredentialsError("no key"),
    "subject token refused": WorkloadIdentityError("HTTP 400 invalid_grant"),
    "not about the API": ValueError("bug"),
}


@pytest.mark.parametrize("case", TRANSIENT)
def test_transient(case):
    assert is_transient(TRANSIENT[case]) and is_outage(TRANSIENT[case])


@pytest.mark.parametrize("case", LASTING)
def test_not_transient(case):
    assert not is_transient(LASTING[case]) and not is_outage(LASTING[case])


def test_a_download_also_retries_a_body_of_the_wrong_length():
    assert retried_download(IncompleteDownloadError("short")) and retried_download(status(502))
    assert not retried_download(status(404))
