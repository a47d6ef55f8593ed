"""One round of status polls by 1,000 pollers in one event loop, as a triggerer's triggers make them,
against the emulator (in its own process) with 50 ms of injected latency per request.

    python benchmarks/triggerer.py [pollers] [latency_ms] [--rounds N] [--profile]

Compares, in the same run (`--rounds` of each async variant, in rotating order, so that a
busy machine slows all alike):
- the shipped client: each poller, like a trigger, makes its own `OpenAIHook` on the Airflow
  connection, awaits `aget_batch` and closes the hook (one stock httpx client per loop,
  shared; tenacity retries a call once its first attempt has failed);
- the same with the retrying taken out (each call awaited once, no `RetryPolicy.acall`
  around it): what retrying costs per poll;
- stock httpx with its default limits, as a hand-written trigger would use it: one
  `httpx.AsyncClient()`, every poll sent at once, each answer read into the `Batch` model;
  and the same sending at most as many at once as the shipped client (the floor of what the
  shipped client adds: hooks, connection settings, its request pipeline);
- the pattern to avoid, a blocking client called inside `async def` (one round: it takes
  `pollers × latency`).

All pollers are due at once: the burst a restarting triggerer faces. The heap made before the
rounds is frozen out of the garbage collector, as Airflow's long-running processes do. Printed: the median
round time and CPU milliseconds per poll of the whole process (the emulator runs in its
own), the network floor (`pollers / requests in flight × latency`: a client that costs
nothing), and the ratios.

`--profile` profiles one round of the shipped client instead (pyinstrument when installed,
else cProfile) and prints where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import io
import json
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-airflow-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")

from emulator_process import start_emulator  # noqa: E402

from airflow_openai.client.loop_clients import IN_FLIGHT  # noqa: E402
from airflow_openai.client.policy import RetryPolicy  # noqa: E402
from airflow_openai.client.settings import ClientSettings  # noqa: E402
from airflow_openai.emulator.server import PROJECT_KEY  # noqa: E402
from airflow_openai.hooks.openai import OpenAIHook  # noqa: E402
from airflow_openai.models import Batch  # noqa: E402

Round = tuple[float, float]
"""Seconds for the round, and CPU seconds the whole process spent on it (loop set-up included)."""


def timed_round(poll_all: Callable[[], Awaitable[list[Any]]], count: int) -> Round:
    cpu, started = time.process_time(), time.perf_counter()
    answers = asyncio.run(poll_all())
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert len(answers) == count and all(answer.status == "completed" for answer in answers)
    return seconds, cpu


def shipped(ids: list[str]) -> Callable[[], Awaitable[list[Any]]]:
    """Each poller, like a trigger, with its own hook on the Airflow connection."""

    async def poll(batch_id: str) -> Any:
        async with OpenAIHook() as hook:
            return await hook.aget_batch(batch_id)

    async def poll_all() -> list[Any]:
        return await asyncio.gather(*(poll(batch_id) for batch_id in ids))

    return poll_all


def stock_httpx(ids: list[str], base_url: str, in_flight: int | None) -> Callable[[], Awaitable[list[Any]]]:
    """One stock `httpx.AsyncClient` (default limits), answers read into `Batch`; every poll sent at
    once, or `in_flight` at a time."""

    async def poll_all() -> list[Any]:
        headers = {"Authorization": f"Bearer {PROJECT_KEY}"}
        bound = asyncio.Semaphore(in_flight) if in_flight else contextlib.nullcontext()
        async with httpx.AsyncClient(base_url=base_url + "/", headers=headers, timeout=600) as client:

            async def poll(batch_id: str) -> Any:
                async with bound:
                    response = await client.get(f"batches/{batch_id}")
                response.raise_for_status()
                return Batch.model_validate(response.json())

            return await asyncio.gather(*(poll(batch_id) for batch_id in ids))

    return poll_all


def blocking(ids: list[str]) -> Callable[[], Awaitable[list[Any]]]:
    """The pattern to avoid: a synchronous client called from the event loop."""

    async def poll(batch_id: str) -> Any:
        with OpenAIHook() as hook:
            return hook.get_batch(batch_id)  # blocks the whole event loop

    async def poll_all() -> list[Any]:
        return await asyncio.gather(*(poll(batch_id) for batch_id in ids))

    return poll_all


async def _once(self: RetryPolicy, describe: str, attempt: Callable[[], Awaitable[Any]], *_: Any) -> Any:
    """In place of `RetryPolicy.acall`: the attempt awaited once, nothing around it."""
    return await attempt()


@contextlib.contextmanager
def without_retrying() -> Iterator[None]:
    shipped_acall = RetryPolicy.acall
    RetryPolicy.acall = _once  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        RetryPolicy.acall = shipped_acall  # type: ignore[method-assign]


def tenacity_per_call(calls: int = 20_000) -> tuple[float, float]:
    """CPU microseconds per call, measured alone (the A/B rounds carry the machine's noise): what
    `RetryPolicy.acall` adds to an attempt that succeeds, and what a tenacity controller built and
    run for it would (what a call that fails once pays)."""

    async def attempt() -> None:
        return None

    async def measure(retried: Callable[[RetryPolicy], Awaitable[Any]]) -> float:
        policy = RetryPolicy()
        started = time.process_time()
        for _ in range(calls):
            await retried(policy)
        retried = time.process_time() - started
        started = time.process_time()
        for _ in range(calls):
            await attempt()
        return 1e6 * (retried - (time.process_time() - started)) / calls

    acall = asyncio.run(measure(lambda policy: policy.acall("GET /batches/x", attempt, asyncio.sleep)))
    controller = asyncio.run(
        measure(lambda policy: policy.aretrying("GET /batches/x", asyncio.sleep)(attempt))
    )
    return acall, controller


def profile(poll_all: Callable[[], Awaitable[list[Any]]], count: int) -> None:
    """Profile one round (after a warm-up round) with pyinstrument if installed, else cProfile."""
    timed_round(poll_all, count)
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        timed_round(poll_all, count)
        profiler.disable()
        print("pyinstrument is not installed; cProfile, by own time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        return
    sampler = Profiler(interval=0.001)
    sampler.start()
    timed_round(poll_all, count)
    sampler.stop()
    print(sampler.output_text(unicode=False, color=False))


def medians(rounds: list[Round], count: int) -> tuple[float, float]:
    """(median seconds per round, median CPU milliseconds per poll)."""
    return (
        statistics.median(seconds for seconds, _ in rounds),
        1000 * statistics.median(cpu for _, cpu in rounds) / count,
    )


def line(name: str, rounds: list[Round], count: int) -> str:
    seconds, cpu_ms = medians(rounds, count)
    each = ", ".join(f"{s:.2f}" for s, _ in rounds)
    return f"  {name:<34} median {seconds:6.2f} s per round, {cpu_ms:.3f} ms CPU per poll  (rounds: {each})"


def prepare(url: str, latency_ms: int) -> list[str]:
    """50 finished batches, and `latency_ms` added to every status request from now on."""
    with OpenAIHook(settings=ClientSettings(api_key=PROJECT_KEY, base_url=f"{url}/v1")) as hook:
        request = {
            "custom_id": "a",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "m", "messages": [{"role": "user", "content": "x"}]},
        }
        source = hook.create_file(io.BytesIO((json.dumps(request) + "\n").encode()), "batch", "in.jsonl")
        batch_ids = [hook.create_batch(source.id, "/v1/chat/completions").id for _ in range(50)]
    for batch_id in batch_ids:  # finished: each poller polls once, which is one round
        httpx.post(f"{url}/_emulator/state/batch/{batch_id}", json={"status": "completed"}).raise_for_status()
    fault = {
        "path": "/v1/batches/*",
        "method": "GET",
        "status": None,
        "latency_ms": latency_ms,
        "count": 10**9,
    }
    httpx.post(f"{url}/_emulator/faults", json=fault).raise_for_status()
    return batch_ids


def main(count: int, latency_ms: int, rounds: int, profiling: bool) -> None:
    process, url = start_emulator(tempfile.mkdtemp(prefix="bench-emulator-"))
    try:
        os.environ["AIRFLOW_CONN_OPENAI_DEFAULT"] = json.dumps(
            {"conn_type": "openai_platform", "host": f"{url}/v1", "password": PROJECT_KEY}
        )
        batch_ids = prepare(url, latency_ms)
        ids = [batch_ids[n % len(batch_ids)] for n in range(count)]
        gc.freeze()  # as Airflow's long-running processes do: the heap's collections are not the client's
        if profiling:
            profile(shipped(ids), count)
            return
        variants: dict[str, Callable[[], Round]] = {
            "shipped": lambda: timed_round(shipped(ids), count),
            "no retrying": lambda: timed_round(shipped(ids), count),
            "stock httpx": lambda: timed_round(stock_httpx(ids, f"{url}/v1", None), count),
            "stock bounded": lambda: timed_round(stock_httpx(ids, f"{url}/v1", IN_FLIGHT), count),
        }
        results: dict[str, list[Round]] = {name: [] for name in variants}
        names = list(variants)
        for name in names:  # warm-up, not counted: first imports, the connection's first lookup
            with without_retrying() if name == "no retrying" else contextlib.nullcontext():
                variants[name]()
        for n in range(rounds):
            for name in names[n % len(names) :] + names[: n % len(names)]:
                with without_retrying() if name == "no retrying" else contextlib.nullcontext():
                    results[name].append(variants[name]())
        blocked = timed_round(blocking(ids), count)
        acall_us, controller_us = tenacity_per_call()
    finally:
        process.terminate()
        process.wait(10)

    ours, ours_cpu = medians(results["shipped"], count)
    bare, bare_cpu = medians(results["no retrying"], count)
    stock, stock_cpu = medians(results["stock httpx"], count)
    bounded, bounded_cpu = medians(results["stock bounded"], count)
    print(f"{count} pollers in one event loop, all due at once, {latency_ms} ms injected latency per request")
    print(line("shipped client (OpenAIHook):", results["shipped"], count))
    print(line("the same without retrying:", results["no retrying"], count))
    print(line("stock httpx, default limits:", results["stock httpx"], count))
    print(line(f"the same, {IN_FLIGHT} polls in flight:", results["stock bounded"], count))
    print(
        f"  {'blocking client inside async def:':<34} {blocked[0]:13.2f} s per round, "
        f"{1000 * blocked[1] / count:.3f} ms CPU per poll"
    )
    print(
        f"  network floor ({IN_FLIGHT} requests in flight):  {count / IN_FLIGHT * latency_ms / 1000:.2f} s per round"
    )
    print(
        f"  shipped vs stock httpx: {stock / ours:.2f}x the speed, {ours_cpu / stock_cpu:.2f}x the CPU per poll "
        f"({bounded / ours:.2f}x and {ours_cpu / bounded_cpu:.2f}x with {IN_FLIGHT} in flight); "
        f"vs the blocking pattern: {blocked[0] / ours:.1f}x faster"
    )
    print(
        f"  retrying (tenacity): {ours_cpu - bare_cpu:+.3f} ms CPU per poll in the rounds above "
        f"({100 * (ours_cpu - bare_cpu) / ours_cpu:+.1f}% of the shipped client's); measured alone, "
        f"{acall_us:.1f} µs per poll that succeeds ({acall_us / 10 / ours_cpu:.2f}%), "
        f"{controller_us:.0f} µs for a tenacity controller ({controller_us / 10 / ours_cpu:.1f}%), "
        "built only once an attempt has failed"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pollers", nargs="?", type=int, default=1000)
    parser.add_argument("latency_ms", nargs="?", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each async variant (default 5)")
    parser.add_argument("--profile", action="store_true", help="profile one round of the shipped client")
    options = parser.parse_args()
    main(options.pollers, options.latency_ms, options.rounds, options.profile)
