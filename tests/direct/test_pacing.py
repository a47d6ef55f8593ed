"""The pacer on a fake clock: it lets calls go at the rate the limits refill, learns them from the answers,
follows the service's count down, and stops everyone on a 429."""

from __future__ import annotations

from airflow_openai.client.rate_limits import RateLimits
from airflow_openai.direct.pacing import RatePacer


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def limits(requests=600, tokens=1_000_000, remaining_requests=None, remaining_tokens=None) -> RateLimits:
    return RateLimits(
        limit_requests=requests,
        limit_tokens=tokens,
        remaining_requests=requests if remaining_requests is None else remaining_requests,
        remaining_tokens=tokens if remaining_tokens is None else remaining_tokens,
    )


def learnt(clock: Clock, **kwargs) -> RatePacer:
    pacer = RatePacer(clock=clock)
    pacer.take(10)
    pacer.answered(10, limits(**kwargs), 0.2)
    return pacer


def test_one_call_goes_first_to_learn_the_limits():
    clock = Clock()
    pacer = RatePacer(clock=clock)
    assert pacer.delay(10) == 0
    pacer.take(10)
    assert pacer.delay(10) > 0, "a second call waits for the first answer"
    pacer.answered(10, limits(), 0.2)
    assert pacer.known and pacer.delay(10) == 0


def test_without_limits_in_the_answers_calls_are_not_paced():
    clock = Clock()
    pacer = RatePacer(clock=clock)
    pacer.take(10)
    pacer.answered(10, None, 0.2)
    for _ in range(1000):
        assert pacer.delay(10) == 0
        pacer.take(10)


def test_calls_leave_at_the_rate_the_requests_refill():
    clock = Clock()
    pacer = learnt(clock, requests=600, remaining_requests=0)  # 10 a second, the bucket empty
    sent = 0
    while clock.now < 60:
        wait = pacer.delay(1)
        if wait:
            clock.now += wait
            continue
        pacer.take(1)
        sent += 1
    assert 595 <= sent <= 601


def test_tokens_limit_the_pace_of_large_calls():
    clock = Clock()
    pacer = learnt(clock, requests=10_000, tokens=60_000, remaining_tokens=0)  # 1,000 tokens a second
    assert abs(pacer.delay(500) - 0.5) < 1e-9


def test_the_service_count_corrects_ours_downwards_only():
    clock = Clock()
    pacer = learnt(clock, requests=600)
    pacer.take(1)
    pacer.answered(1, limits(requests=600, remaining_requests=0), 0.0)
    assert pacer.delay(1) > 0, "another client spent the budget: we wait"
    clock.now += 60
    pacer.take(1)
    pacer.answered(1, limits(requests=600, remaining_requests=600), 0.0)
    assert pacer.requests is not None and pacer.requests.level <= 600


def test_a_429_stops_every_call_until_the_advised_time():
    clock = Clock()
    pacer = learnt(clock)
    pacer.refused(2.0)
    assert pacer.delay(1) == 2.0
    clock.now += 2.0
    assert pacer.delay(1) > 0, "the buckets start empty when the pause ends"
    clock.now += 0.2
    assert pacer.delay(1) == 0


def test_limits_first_seen_after_the_probe_still_pace_the_calls():
    clock = Clock()
    pacer = RatePacer(clock=clock)
    pacer.take(10)
    pacer.answered(10, None, 0.2)  # the probe's answer was lost: no limits yet
    pacer.take(10)
    pacer.answered(10, limits(requests=60, remaining_requests=0), 0.0)
    assert pacer.delay(1) > 0, "the limits the next answer carried are kept"


def test_a_changed_limit_resizes_the_bucket():
    clock = Clock()
    pacer = learnt(clock, requests=600)
    pacer.take(1)
    pacer.answered(1, limits(requests=60), 0.0)
    assert pacer.requests is not None and pacer.requests.limit == 60


def test_a_429_pauses_at_most_a_minute():
    clock = Clock()
    pacer = learnt(clock)
    pacer.refused(3600.0)
    assert pacer.delay(1) == 60.0
