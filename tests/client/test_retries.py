"""Retry decisions as a user sees them over real HTTP: what is retried, how long it waits, what is raised."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time

import httpx
import pytest

from airflow_openai.client import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from airflow_openai.client.policy import RetryPolicy, advised_delay
from airflow_openai.hooks.openai import OpenAIHook
from tests.support.batches import BATCH_OBJECT
from tests.support.clients import hook_for
from tests.support.scripted_server import Reply, error_body

BATCH = BATCH_OBJECT


def test_rate_limit_waits_as_advised_then_succeeds(server):
    server.queue(
        "GET",
        "/v1/batches/batch_abc",
        Reply(
            429,
            error_body("Rate limit reached", "requests", "rate_limit_exceeded"),
            headers={"Retry-After": "2"},
        ),
        Reply(
            429,
            error_body("Rate limit reached", "requests", "rate_limit_exceeded"),
            headers={"retry-after-ms": "300"},
        ),
        Reply(200, BATCH),
    )
    batch = hook_for(server.base_url, fast=False).get_batch("batch_abc")

    assert batch.id == "batch_abc" and batch.status == "in_progress"
    first, second, third = server.requests_to("/v1/batches/batch_abc")
    assert 1.9 <= second.at - first.at < 3.0, "Retry-After: 2 must be honoured"
    assert 0.25 <= third.at - second.at < 1.0, "retry-after-ms: 300 must be honoured"


def test_bad_request_is_not_retried_and_carries_the_envelope(server):
    server.queue(
        "POST",
        "/v1/batches",
        Reply(
            400,
            error_body("Invalid endpoint", code="invalid_value", param="endpoint"),
            headers={"x-request-id": "req_bad"},
        ),
    )
    with pytest.raises(BadRequestError) as caught:
        hook_for(server.base_url).create_batch("file-in", "/v1/nope")

    error = caught.value
    assert len(server.requests_to("/v1/batches")) == 1
    assert (error.status_code, error.request_id, error.type, error.code, error.param) == (
        400,
        "req_bad",
        "invalid_request_error",
        "invalid_value",
        "endpoint",
    )
    assert "Invalid endpoint" in str(error) and "req_bad" in str(error)


@pytest.mark.parametrize(
    ("status", "kind", "attempts"),
    [
        (400, BadRequestError, 1),
        (401, AuthenticationError, 1),
        (403, PermissionDeniedError, 1),
        (404, NotFoundError, 1),
        (409, ConflictError, 3),
        (422, UnprocessableEntityError, 1),
        (429, RateLimitError, 3),
        (500, InternalServerError, 3),
        (501, InternalServerError, 1),
        (503, InternalServerError, 3),
        (504, InternalServerError, 3),
        (520, InternalServerError, 3),
        (418, APIStatusError, 1),
    ],
)
def test_each_status_maps_to_its_error_with_request_id(server, status, kind, attempts):
    server.handle("GET", "/v1/batches/batch_abc", lambda seen: Reply(status, error_body(f"status {status}")))
    with pytest.raises(kind) as caught:
        hook_for(server.base_url).get_batch("batch_abc")
    assert type(caught.value) is kind
    assert caught.value.request_id and caught.value.request_id.startswith("req_")
    assert len(server.requests_to("/v1/batches/batch_abc")) == attempts


def test_server_errors_are_retried_until_success(server):
    server.queue(
        "GET",
        "/v1/batches/batch_abc",
        Reply(502, body=b"bad gateway"),
        Reply(500, error_body("boom", "server_error")),
    )
    server.handle("GET", "/v1/batches/batch_abc", lambda seen: Reply(200, BATCH))
    assert hook_for(server.base_url).get_batch("batch_abc").id == "batch_abc"
    assert len(server.requests_to("/v1/batches/batch_abc")) == 3


def test_should_retry_header_overrides_the_status(server):
    server.queue("GET", "/v1/batches/a", Reply(500, error_body("final"), headers={"x-should-retry": "false"}))
    with pytest.raises(InternalServerError):
        hook_for(server.base_url).get_batch("a")
    assert len(server.requests_to("/v1/batches/a")) == 1

    server.queue(
        "GET", "/v1/batches/b", Reply(400, error_body("try again"), headers={"x-should-retry": "true"})
    )
    server.handle("GET", "/v1/batches/b", lambda seen: Reply(200, {**BATCH, "id": "b"}))
    assert hook_for(server.base_url).get_batch("b").id == "b"


def test_max_retries_from_the_connection_bounds_attempts(server):
    server.handle("GET", "/v1/batches/x", lambda seen: Reply(503, error_body("down")))
    with pytest.raises(InternalServerError):
        hook_for(server.base_url, max_retries=0).get_batch("x")
    assert len(server.requests_to("/v1/batches/x")) == 1


def test_a_used_up_quota_is_not_retried(server):
    server.handle(
        "GET",
        "/v1/batches/x",
        lambda seen: Reply(429, error_body("quota", "insufficient_quota", "insufficient_quota")),
    )
    with pytest.raises(RateLimitError):
        hook_for(server.base_url).get_batch("x")
    assert len(server.requests_to("/v1/batches/x")) == 1


def test_the_hook_can_make_calls_with_no_http_retries(server):
    """A status poll whose retrying the wait engine's outage budget does: one request, sync and async."""
    server.handle("GET", "/v1/batches/x", lambda seen: Reply(503, error_body("down")))
    settings = hook_for(server.base_url, max_retries=2).settings
    hook = OpenAIHook(settings=settings, max_retries=0)
    with pytest.raises(InternalServerError):
        hook.get_batch("x")
    assert len(server.requests_to("/v1/batches/x")) == 1

    async def poll() -> None:
        async with hook:
            await hook.aget_batch("x")

    with pytest.raises(InternalServerError):
        asyncio.run(poll())
    assert len(server.requests_to("/v1/batches/x")) == 2


def test_max_retries_of_the_hook_overrides_a_given_policy_too(server):
    server.handle("GET", "/v1/batches/x", lambda seen: Reply(503, error_body("down")))
    fast = RetryPolicy(5, initial_delay=0.01, max_delay=0.01)
    hook = OpenAIHook(settings=hook_for(server.base_url).settings, retry_policy=fast, max_retries=1)
    with pytest.raises(InternalServerError):
        hook.get_batch("x")
    assert len(server.requests_to("/v1/batches/x")) == 2


def test_http_retries_are_logged_at_info(server, caplog):
    """During an outage the wait engine logs one warning per failed poll; its retries add no more."""
    server.handle("GET", "/v1/batches/x", lambda seen: Reply(503, error_body("down")))
    with caplog.at_level(logging.INFO, logger="airflow_openai.client"), pytest.raises(InternalServerError):
        hook_for(server.base_url).get_batch("x")
    retries = [r for r in caplog.records if "retry" in r.getMessage()]
    assert [r.levelno for r in retries] == [logging.INFO, logging.INFO]
    assert "GET /batches/x failed" in retries[0].getMessage() and "retry 1 of 2" in retries[0].getMessage()


def test_dropped_connection_is_retried_then_reported(server):
    server.handle("GET", "/v1/batches/x", lambda seen: Reply(drop=True))
    with pytest.raises(APIConnectionError) as caught:
        hook_for(server.base_url).get_batch("x")
    assert "/v1/batches/x" in str(caught.value)
    assert len(server.requests_to("/v1/batches/x")) == 3


def test_refused_connection_is_a_connection_error():
    with pytest.raises(APIConnectionError):
        hook_for("http://127.0.0.1:9/v1", max_retries=1).get_batch("x")


def test_timeout_is_its_own_error(server):
    def slow(seen):
        time.sleep(0.6)
        return Reply(200, BATCH)

    server.handle("GET", "/v1/batches/slow", slow)
    with pytest.raises(APITimeoutError):
        hook_for(server.base_url, max_retries=0, timeout=0.2).get_batch("slow")


async def test_async_twin_shares_the_retry_policy(server):
    server.queue(
        "GET", "/v1/batches/batch_abc", Reply(429, error_body("slow down"), headers={"retry-after-ms": "100"})
    )
    server.handle("GET", "/v1/batches/batch_abc", lambda seen: Reply(200, BATCH))
    hook = hook_for(server.base_url)
    async with hook:
        batch = await hook.aget_batch("batch_abc")
    assert batch.status == "in_progress"
    assert len(server.requests_to("/v1/batches/batch_abc")) == 2


def test_retry_after_forms():
    assert advised_delay(httpx.Headers({"retry-after-ms": "1500"})) == 1.5
    assert advised_delay(httpx.Headers({"Retry-After": "3"})) == 3.0
    in_five = email.utils.formatdate(time.time() + 5, usegmt=True)
    assert 3.5 <= advised_delay(httpx.Headers({"Retry-After": in_five})) <= 5.0
    assert advised_delay(httpx.Headers({"Retry-After": "soon"})) is None
    assert advised_delay(httpx.Headers()) is None


def test_advised_delay_is_capped_and_backoff_grows_with_jitter():
    policy = RetryPolicy(initial_delay=0.5, max_delay=8.0, max_retry_after=60.0)
    huge = APIStatusError("x", status_code=429, headers=httpx.Headers({"Retry-After": "3600"}))
    assert policy.delay_before(1, huge) == 60.0
    delays = [policy.delay_before(n, None) for n in (1, 2, 3, 4, 5, 6)]
    assert 0.375 <= delays[0] <= 0.5 and 0.75 <= delays[1] <= 1.0
    assert all(d <= 8.0 for d in delays) and delays[5] >= 6.0


def _flaky(failures: list[Exception], attempts: list[int]):
    """An attempt that raises each of `failures` in turn, then answers "done"."""

    def attempt() -> str:
        attempts.append(1)
        if failures:
            raise failures.pop(0)
        return "done"

    return attempt


def test_tenacity_retries_with_the_injected_sleep_and_the_advised_waits():
    attempts: list[int] = []
    slept: list[float] = []
    rate_limited = RateLimitError("slow", status_code=429, headers=httpx.Headers({"retry-after-ms": "250"}))
    attempt = _flaky([rate_limited, APIConnectionError("reset")], attempts)

    assert RetryPolicy(2, initial_delay=0.01, max_delay=0.01).call("GET /x", attempt, slept.append) == "done"
    assert len(attempts) == 3 and slept[0] == 0.25 and 0.0075 <= slept[1] <= 0.01


def test_the_last_error_is_raised_as_it_is_once_retries_run_out():
    attempts: list[int] = []
    last = InternalServerError("down", status_code=503)
    attempt = _flaky(
        [InternalServerError("down", status_code=502), last, InternalServerError("x", status_code=500)],
        attempts,
    )
    with pytest.raises(InternalServerError) as raised:
        RetryPolicy(1, initial_delay=0.0).call("GET /x", attempt, lambda _: None)
    assert raised.value is last and len(attempts) == 2


def test_an_error_that_is_not_transient_is_raised_at_once():
    attempts: list[int] = []
    slept: list[float] = []
    with pytest.raises(BadRequestError):
        RetryPolicy(5).call(
            "GET /x", _flaky([BadRequestError("no", status_code=400)], attempts), slept.append
        )
    assert len(attempts) == 1 and slept == []


async def test_the_async_twin_retries_alike():
    attempts: list[int] = []
    slept: list[float] = []
    flaky = _flaky([APIConnectionError("reset"), InternalServerError("down", status_code=503)], attempts)

    async def attempt() -> str:
        return flaky()

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    assert await RetryPolicy(2, initial_delay=0.01, max_delay=0.01).acall("GET /x", attempt, sleep) == "done"
    assert len(attempts) == 3 and len(slept) == 2

    async def cancelled() -> str:
        attempts.append(1)
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await RetryPolicy(2).acall("GET /x", cancelled, sleep)
    assert len(attempts) == 4 and len(slept) == 2, "a cancellation is never retried"
