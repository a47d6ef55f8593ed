"""The token source against a loopback exchange: caching, refresh, one exchange under concurrency, 401s, secrecy."""

from __future__ import annotations

import asyncio
import logging
import pickle
import threading
import time
import traceback

import pytest

from airflow_openai.client.errors import WorkloadIdentityError
from airflow_openai.client.identity import (
    SubjectToken,
    TokenSource,
    WorkloadIdentitySettings,
    clear_token_sources,
    token_source_for,
)
from airflow_openai.client.identity.token_source import TOKEN_EXCHANGE_GRANT_TYPE
from tests.support.identity_stand_ins import StandIn, json_answer

SUBJECT = "SUBJECT-CANARY-7f3a9c"
ACCESS = "ACCESS-CANARY-b21e04"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Exchange:
    """A token exchange stand-in: the n-th answer is `ACCESS-n`, valid `expires_in` seconds."""

    def __init__(self, expires_in: float = 3600, delay: float = 0.0) -> None:
        self.expires_in = expires_in
        self.delay = delay
        self.count = 0
        self.fail_with: tuple[int, dict] | None = None
        self._lock = threading.Lock()

    def __call__(self, seen):
        time.sleep(self.delay)
        if self.fail_with is not None:
            status, body = self.fail_with
            return json_answer(body, status)
        with self._lock:
            self.count += 1
            n = self.count
        return json_answer(
            {"access_token": f"{ACCESS}-{n}", "token_type": "Bearer", "expires_in": self.expires_in}
        )


@pytest.fixture
def token_file(tmp_path):
    path = tmp_path / "token"
    path.write_text(SUBJECT)
    return path


def make_settings(url, token_file, **extra):
    return WorkloadIdentitySettings.from_extra(
        {
            "auth_type": "workload_identity",
            "identity_provider_id": "idp_1",
            "service_account_id": "sa_1",
            "workload_identity_provider": "kubernetes",
            "token_file_path": str(token_file),
            "token_exchange_url": f"{url}/oauth/token",
            **extra,
        },
        source="openai_wif",
        environ={},
    )


@pytest.fixture
def exchange():
    answers = Exchange()
    with StandIn(answers) as server:
        answers.server = server
        yield answers


def test_the_exchange_request_is_the_sdks_and_the_token_is_cached(exchange, token_file):
    clock = Clock()
    source = TokenSource(make_settings(exchange.server.url, token_file), clock=clock)
    assert source.token() == f"{ACCESS}-1"
    assert source.token() == f"{ACCESS}-1"
    (seen,) = exchange.server.seen
    assert (seen.method, seen.path, seen.headers["content-type"]) == (
        "POST",
        "/oauth/token",
        "application/json",
    )
    assert seen.json() == {
        "grant_type": TOKEN_EXCHANGE_GRANT_TYPE,
        "subject_token": SUBJECT,
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "identity_provider_id": "idp_1",
        "service_account_id": "sa_1",
    }
    assert "authorization" not in seen.headers


def test_refreshed_buffer_seconds_before_expiry(exchange, token_file):
    clock = Clock()
    source = TokenSource(
        make_settings(exchange.server.url, token_file, refresh_buffer_seconds=600), clock=clock
    )
    assert source.token() == f"{ACCESS}-1"
    clock.now += 2999
    assert source.token() == f"{ACCESS}-1"
    clock.now += 1  # 600 s before the end of its 3600 s
    assert source.token() == f"{ACCESS}-2"
    assert exchange.count == 2


def test_the_buffer_is_at_most_half_the_lifetime(exchange, token_file):
    exchange.expires_in = 60  # an emulator's short token, with the default 1200 s buffer
    clock = Clock()
    source = TokenSource(make_settings(exchange.server.url, token_file), clock=clock)
    assert source.token() == f"{ACCESS}-1"
    clock.now += 29
    assert source.token() == f"{ACCESS}-1"
    clock.now += 1
    assert source.token() == f"{ACCESS}-2"


def test_a_failed_refresh_keeps_the_valid_token_and_a_failed_first_fetch_raises(exchange, token_file):
    clock = Clock()
    source = TokenSource(
        make_settings(exchange.server.url, token_file, refresh_buffer_seconds=600), clock=clock
    )
    source.token()
    exchange.fail_with = (503, {"error": "temporarily_unavailable"})
    clock.now += 3100
    assert source.token() == f"{ACCESS}-1"  # still valid for 500 s
    clock.now += 500
    with pytest.raises(WorkloadIdentityError, match="HTTP 503: temporarily_unavailable") as caught:
        source.token()
    assert caught.value.transient and caught.value.source == "openai_wif"


async def test_concurrent_async_callers_and_threads_make_one_exchange_per_refresh(exchange, token_file):
    exchange.delay = 0.2
    clock = Clock()
    source = TokenSource(make_settings(exchange.server.url, token_file), clock=clock)

    async def round_of_callers() -> set[str]:
        results: list[str] = []
        threads = [threading.Thread(target=lambda: results.append(source.token())) for _ in range(20)]
        other_loop = threading.Thread(
            target=lambda: results.extend(asyncio.run(_gather(source, 50)))
        )  # a second event loop, as in another triggerer thread
        for thread in [*threads, other_loop]:
            thread.start()
        results.extend(await _gather(source, 200))
        await asyncio.to_thread(lambda: [t.join() for t in [*threads, other_loop]])
        assert len(results) == 270
        return set(results)

    assert await round_of_callers() == {f"{ACCESS}-1"}
    assert exchange.count == 1
    clock.now += 3600  # expired: everyone waits for the one new token
    assert await round_of_callers() == {f"{ACCESS}-2"}
    assert exchange.count == 2
    clock.now += 2500  # due for refresh, still valid: one refresh, the others carry on meanwhile
    assert (await round_of_callers()) <= {f"{ACCESS}-2", f"{ACCESS}-3"}
    assert exchange.count == 3
    assert await source.atoken() == f"{ACCESS}-3"


async def test_the_event_loop_never_does_the_io(exchange, token_file):
    exchange.delay = 0.3
    threads = []

    def subject_token():
        threads.append(threading.current_thread())
        return SubjectToken(SUBJECT, "urn:ietf:params:oauth:token-type:jwt")

    source = TokenSource(make_settings(exchange.server.url, token_file), subject_tokens=subject_token)
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticking = asyncio.ensure_future(ticker())
    assert await source.atoken() == f"{ACCESS}-1"
    ticking.cancel()
    assert ticks >= 10  # the loop kept running while the exchange took 0.3 s
    assert threads and threading.current_thread() not in threads


async def _gather(source: TokenSource, n: int) -> list[str]:
    return list(await asyncio.gather(*(source.atoken() for _ in range(n))))


async def test_a_cancelled_caller_leaves_the_shared_refresh_running(exchange, token_file):
    exchange.delay = 0.2
    source = TokenSource(make_settings(exchange.server.url, token_file))
    first = asyncio.ensure_future(source.atoken())
    second = asyncio.ensure_future(source.atoken())
    await asyncio.sleep(0.05)
    first.cancel()
    assert await second == f"{ACCESS}-1"
    assert await source.atoken() == f"{ACCESS}-1" and exchange.count == 1


def test_fifty_401s_with_the_same_token_cause_one_refresh(exchange, token_file):
    exchange.delay = 0.05
    source = TokenSource(make_settings(exchange.server.url, token_file))
    refused = source.token()
    start = threading.Barrier(50)
    results: list[str] = []

    def on_401() -> None:
        start.wait()
        source.invalidate(refused)
        results.append(source.token())

    threads = [threading.Thread(target=on_401) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results) == {f"{ACCESS}-2"} and exchange.count == 2
    assert source.invalidate(refused) is False  # no longer the current token
    assert source.invalidate(f"{ACCESS}-2") is True


def test_one_source_per_settings_per_process(exchange, token_file):
    clear_token_sources()
    try:
        settings = make_settings(exchange.server.url, token_file)
        again = make_settings(exchange.server.url, token_file)
        assert token_source_for(settings) is token_source_for(again)
        assert token_source_for(settings) is not token_source_for(
            make_settings(exchange.server.url, token_file, audience="x")
        )
    finally:
        clear_token_sources()


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (
            401,
            {"error": "invalid_grant", "error_description": f"bad subject token {SUBJECT}"},
            "HTTP 401: invalid_grant",
        ),
        (200, {"token_type": "Bearer", "expires_in": 60}, "without an access_token"),
        (200, {"access_token": ACCESS, "expires_in": "soon"}, "without a positive expires_in"),
        (302, {}, "HTTP 302"),
    ],
)
def test_exchange_failures(exchange, token_file, status, body, message):
    exchange.fail_with = (status, body)
    source = TokenSource(make_settings(exchange.server.url, token_file))
    with pytest.raises(WorkloadIdentityError, match=f"'openai_wif'.*token exchange.*{message}") as caught:
        source.token()
    assert SUBJECT not in str(caught.value) and ACCESS not in str(caught.value)
    assert not caught.value.transient


def test_unreachable_exchange_is_transient(token_file):
    with StandIn(Exchange()) as server:
        url = server.url
    with pytest.raises(WorkloadIdentityError, match="could not be reached") as caught:
        TokenSource(make_settings(url, token_file)).token()
    assert caught.value.transient


async def test_no_token_in_any_log_record_error_or_repr(exchange, token_file, caplog):
    caplog.set_level(logging.DEBUG)  # the root logger: ours, httpx's and httpcore's records
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    clock = Clock()
    source = TokenSource(
        make_settings(exchange.server.url, token_file, refresh_buffer_seconds=600), clock=clock
    )
    texts = []
    token = await source.atoken()
    source.invalidate(token)
    source.token()
    clock.now += 3100
    exchange.fail_with = (401, {"error": "invalid_grant", "error_description": f"echo {SUBJECT}"})
    source.token()  # a failed refresh, logged with its traceback, while the token is still valid
    clock.now += 600
    for attempt in (source.token, lambda: asyncio.run(source.atoken())):
        with pytest.raises(WorkloadIdentityError) as caught:
            await asyncio.to_thread(attempt)
        texts.append("".join(traceback.format_exception(caught.value)))
    texts.append(repr(source))
    with pytest.raises(TypeError):
        pickle.dumps(source)
    records = [r for r in caplog.records]
    assert any(r.name.startswith("httpcore") for r in records) and any(r.name == "httpx" for r in records)
    texts += [r.getMessage() for r in records]
    texts += ["".join(traceback.format_exception(*r.exc_info)) for r in records if r.exc_info]
    texts.append(caplog.text)
    for text in texts:
        assert SUBJECT not in text and ACCESS not in text, text
