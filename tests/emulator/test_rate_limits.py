"""Per-key rate limits on model calls, as the service answers them: `x-ratelimit-*` headers on every answer,
429 `rate_limit_exceeded` with `retry-after`/`retry-after-ms` past a limit, buckets that refill over the minute,
limits and an added latency set from the control plane (and `Emulator`), lifted by a reset."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from airflow_openai.emulator.inference.rate_limits import Limits, RateLimits, estimate

openai = pytest.importorskip("openai", reason="the official openai SDK is in the dev group")

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x" * 40}]}
DURATION = re.compile(r"^(\d+ms|(\d+h)?(\d+m)?\d+(\.\d+)?s)$")


@pytest.fixture
def api(emu):
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.api_key}"}) as client:
        yield client


def _other(emu, key: str = "sk-another-project-key") -> httpx.Client:
    return httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {key}"})


def test_every_answer_under_a_limit_carries_the_services_headers(api, emu):
    assert "x-ratelimit-limit-requests" not in api.post("/chat/completions", json=CHAT).headers
    emu.limit_inference(requests_per_minute=3000, tokens_per_minute=1_000_000)
    headers = api.post("/chat/completions", json={**CHAT, "max_tokens": 90}).headers
    assert (
        headers["x-ratelimit-limit-requests"] == "3000"
        and headers["x-ratelimit-remaining-requests"] == "2999"
    )
    assert headers["x-ratelimit-reset-requests"] == "20ms"
    assert headers["x-ratelimit-limit-tokens"] == "1000000"
    assert headers["x-ratelimit-remaining-tokens"] == str(1_000_000 - 100)  # 40 characters / 4 + max_tokens
    assert headers["x-ratelimit-reset-tokens"] == "6ms"
    for path, body in (
        ("/embeddings", {"model": "text-embedding-3-small", "input": "hi"}),
        ("/moderations", {"input": "hi"}),
    ):
        answer = api.post(path, json=body)
        assert answer.status_code == 200 and DURATION.match(answer.headers["x-ratelimit-reset-requests"])


def test_past_the_requests_limit_a_429_says_when_to_retry(api, emu):
    emu.limit_inference(requests_per_minute=2)
    assert [api.post("/chat/completions", json=CHAT).status_code for _ in range(2)] == [200, 200]
    refused = api.post("/chat/completions", json=CHAT)
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "rate_limit_exceeded" and error["type"] == "requests" and error["param"] is None
    assert error["message"].startswith("Rate limit reached for gpt-4o-mini in organization")
    assert "on requests per min (RPM): Limit 2, Used 2, Requested 1." in error["message"]
    assert (
        25_000 <= int(refused.headers["retry-after-ms"]) <= 30_000 and refused.headers["retry-after"] == "30"
    )
    assert refused.headers["x-ratelimit-remaining-requests"] == "0"
    with (
        openai.OpenAI(api_key=emu.api_key, base_url=emu.base_url, max_retries=0) as client,
        pytest.raises(openai.RateLimitError),
    ):
        client.chat.completions.create(**CHAT)


def test_past_the_tokens_limit_and_a_call_larger_than_the_limit(api, emu):
    emu.limit_inference(tokens_per_minute=100)
    assert api.post("/chat/completions", json={**CHAT, "max_tokens": 80}).status_code == 200  # 90 tokens
    refused = api.post("/chat/completions", json={**CHAT, "max_tokens": 5})
    assert refused.status_code == 429 and refused.json()["error"]["type"] == "tokens"
    assert "on tokens per min (TPM): Limit 100, Used 90, Requested 15." in refused.json()["error"]["message"]
    too_large = api.post("/chat/completions", json={**CHAT, "max_tokens": 500})
    assert too_large.status_code == 429 and too_large.json()["error"]["message"].startswith(
        "Request too large"
    )


def test_a_spent_bucket_refills_and_the_sdk_retries_after_the_advice(api, emu):
    emu.limit_inference(requests_per_minute=600)  # one request back every 100 ms
    for _ in range(2000):  # spend the bucket faster than it refills
        refused = api.post("/moderations", json={"input": "hi"})
        if refused.status_code == 429:
            break
    assert refused.status_code == 429 and int(refused.headers["retry-after-ms"]) <= 100
    time.sleep(int(refused.headers["retry-after-ms"]) / 1000 + 0.01)
    assert api.post("/moderations", json={"input": "hi"}).status_code == 200
    with openai.OpenAI(api_key=emu.api_key, base_url=emu.base_url, max_retries=3) as client:
        for _ in range(3):  # each waits for the advised 100 ms, then goes through
            assert client.moderations.create(input="hi").results


def test_limits_are_per_key_and_one_key_can_have_its_own(api, emu):
    emu.limit_inference(requests_per_minute=1)
    with _other(emu) as other:
        assert api.post("/chat/completions", json=CHAT).status_code == 200
        assert other.post("/chat/completions", json=CHAT).status_code == 200  # its own bucket
        assert api.post("/chat/completions", json=CHAT).status_code == 429
        emu.limit_inference(requests_per_minute=100, key="sk-another-project-key")
        assert other.post("/chat/completions", json=CHAT).headers["x-ratelimit-limit-requests"] == "100"
    listing = httpx.get(f"{emu.url}/_emulator/rate_limits").json()
    assert (
        listing["requests_per_minute"] == 1
        and listing["keys"]["sk-another-project-key"]["requests_per_minute"] == 100
    )


def test_the_control_plane_sets_lifts_and_refuses(api, emu):
    control = f"{emu.url}/_emulator"
    for body in (
        {"requests_per_minute": 0},
        {"requests_per_minute": "5"},
        {"tokens_per_minute": -1},
        {"rpm": 5},
    ):
        assert httpx.post(f"{control}/rate_limits", json=body).status_code == 400, body
    assert httpx.post(f"{control}/latency", json={"latency_ms": -5}).status_code == 400
    emu.limit_inference(requests_per_minute=1)
    api.post("/chat/completions", json=CHAT)
    assert api.post("/chat/completions", json=CHAT).status_code == 429
    assert httpx.delete(f"{control}/rate_limits").json()["requests_per_minute"] is None
    assert api.post("/chat/completions", json=CHAT).status_code == 200
    emu.limit_inference(requests_per_minute=1)
    emu.set_latency(50)
    emu.reset()
    assert httpx.get(f"{control}/rate_limits").json() == {
        "requests_per_minute": None,
        "tokens_per_minute": None,
        "keys": {},
        "latency_ms": 0,
    }


def test_an_added_latency_delays_each_admitted_call_but_not_a_refusal(api, emu):
    emu.set_latency(200)
    started = time.monotonic()
    assert api.post("/chat/completions", json=CHAT).status_code == 200
    assert time.monotonic() - started >= 0.2
    emu.limit_inference(requests_per_minute=1)
    api.post("/embeddings", json={"model": "text-embedding-3-small", "input": "hi"})
    started = time.monotonic()
    assert api.post("/embeddings", json={"model": "text-embedding-3-small", "input": "hi"}).status_code == 429
    assert time.monotonic() - started < 0.2


def test_the_estimate_and_the_cost_of_a_check():
    assert estimate("/v1/chat/completions", {**CHAT, "max_completion_tokens": 7}) == 17
    assert estimate("/v1/completions", {"prompt": "abcd"}) == 17  # the endpoint's 16 tokens by default
    assert estimate("/v1/embeddings", {"input": ["abcd", "efgh"]}) == 2
    limits = RateLimits()
    limits.set(Limits(3000, 1_000_000))
    started = time.perf_counter()
    for _ in range(3000):
        limits.admit("sk-key", "gpt-4o-mini", 50)
    assert time.perf_counter() - started < 0.5  # 10,000 calls of a benchmark spend well under a second here
