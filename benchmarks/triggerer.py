"""One round of status polls by 1,000 batch triggers in one event loop, against the emulator (in its
own process) with 50 ms of injected latency per request.

    python benchmarks/triggerer.py [triggers] [latency_ms] [--rounds N] [--profile]

Compares, in the same run:
- `OpenAIBatchTrigger` as shipped (async client, connections kept on a `ConnectionStack`);
- the same trigger over httpx's own connection pool, as it was before (`--rounds` of each, in
  alternating order, so that a busy machine slows both alike);
- the existing provider's pattern, a trigger that calls a blocking client inside `async def run`
  (one round: it takes `triggers × latency`).

All triggers are due at once (no start-up spread): the burst a restarting triggerer would face
without it. A round ends when every trigger has polled its (finished) batch once and fired.
Printed: the median round time, the CPU seconds per poll of the whole process, the network
floor (`triggers / in-flight limit × latency`: the round time of a client that costs nothing),
and the ratio to the blocking pattern.

`--profile` profiles one round of the shipped trigger instead (pyinstrument when installed,
else cProfile) and prints where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-airflow-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")

from airflow.triggers.base import BaseTrigger, TriggerEvent  # noqa: E402
from emulator_process import start_emulator  # noqa: E402

from airflow_openai.batch.pacing import PollPacing  # noqa: E402
from airflow_openai.client import transport  # noqa: E402
from airflow_openai.triggers.batch import OpenAIBatchTrigger  # noqa: E402


class BlockingBatchTrigger(BaseTrigger):
    """The pattern to avoid: a synchronous client called from the triggerer's event loop."""

    def __init__(self, batch_id: str, openai_conn_id: str = "openai_default") -> None:
        super().__init__()
        self.batch_id = batch_id
        self.openai_conn_id = openai_conn_id

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "benchmarks.triggerer.BlockingBatchTrigger",
            {"batch_id": self.batch_id, "openai_conn_id": self.openai_conn_id},
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_openai.batch.assessment import assess
        from airflow_openai.hooks.openai import OpenAIHook

        hook = OpenAIHook(self.openai_conn_id)
        while True:
            assessment = assess(hook.get_batch(self.batch_id))  # blocks the whole event loop
            if assessment.finished:
                yield TriggerEvent({"status": assessment.status})
                return
            await asyncio.sleep(60)


async def one_round(triggers: list[BaseTrigger]) -> float:
    """Seconds until every trigger has polled its (finished) batch once and fired."""

    async def first_event(trigger: BaseTrigger) -> Any:
        async for event in trigger.run():
            return event

    started = time.perf_counter()
    events = await asyncio.gather(*(first_event(trigger) for trigger in triggers))
    elapsed = time.perf_counter() - started
    assert all(event is not None for event in events)
    return elapsed


def timed_round(make: Callable[[], list[BaseTrigger]]) -> tuple[float, float]:
    """(seconds for the round, CPU seconds the whole process spent on it, loop set-up included)."""
    cpu = time.process_time()
    seconds = asyncio.run(one_round(make()))
    return seconds, time.process_time() - cpu


@contextlib.contextmanager
def httpx_pool() -> Iterator[None]:
    """The shared async client over httpx's own connection pool (100 connections, 20 kept), as before."""
    shipped = transport.StackedTransport

    def default_pool(ssl_context: Any, **_: Any) -> httpx.AsyncHTTPTransport:
        return httpx.AsyncHTTPTransport(verify=ssl_context)

    transport.StackedTransport = default_pool  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        transport.StackedTransport = shipped  # type: ignore[misc]


def profile(make: Callable[[], list[BaseTrigger]]) -> None:
    """Profile one round (after a warm-up round) with pyinstrument if installed, else cProfile."""
    timed_round(make)
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        timed_round(make)
        profiler.disable()
        print("pyinstrument is not installed; cProfile, by own time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        return
    sampler = Profiler(interval=0.001)
    sampler.start()
    timed_round(make)
    sampler.stop()
    print(sampler.output_text(unicode=False, color=False))


def summary(rounds: list[tuple[float, float]], count: int) -> tuple[float, str]:
    median = statistics.median(seconds for seconds, _ in rounds)
    cpu_ms = 1000 * statistics.median(cpu for _, cpu in rounds) / count
    runs = ", ".join(f"{seconds:.2f}" for seconds, _ in rounds)
    return median, f"median {median:6.2f} s per round, {cpu_ms:.2f} ms CPU per poll  (rounds: {runs})"


def main(count: int, latency_ms: int, rounds: int, profiling: bool) -> None:
    from airflow_openai.client.settings import ClientSettings
    from airflow_openai.emulator.server import PROJECT_KEY
    from airflow_openai.hooks.openai import OpenAIHook

    process, url = start_emulator(tempfile.mkdtemp(prefix="bench-emulator-"))
    try:
        os.environ["AIRFLOW_CONN_OPENAI_DEFAULT"] = json.dumps(
            {"conn_type": "openai_platform", "host": f"{url}/v1", "password": PROJECT_KEY}
        )
        hook = OpenAIHook(settings=ClientSettings(api_key=PROJECT_KEY, base_url=f"{url}/v1"))
        line = {
            "custom_id": "a",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "m", "messages": [{"role": "user", "content": "x"}]},
        }
        source = hook.create_file(io.BytesIO((json.dumps(line) + "\n").encode()), "batch", "in.jsonl")
        batch_ids = [hook.create_batch(source.id, "/v1/chat/completions").id for _ in range(50)]
        for batch_id in batch_ids:  # finished: each trigger polls once and fires, which is one round
            httpx.post(
                f"{url}/_emulator/state/batch/{batch_id}", json={"status": "completed"}
            ).raise_for_status()
        hook.close()
        fault = {
            "path": "/v1/batches/*",
            "method": "GET",
            "status": None,
            "latency_ms": latency_ms,
            "count": 10**9,
        }
        httpx.post(f"{url}/_emulator/faults", json=fault).raise_for_status()
        ids = [batch_ids[n % len(batch_ids)] for n in range(count)]
        due_at_once = PollPacing(minimum=0.0).to_dict()

        def ours() -> list[BaseTrigger]:
            return [OpenAIBatchTrigger([batch_id], pacing=due_at_once) for batch_id in ids]

        if profiling:
            profile(ours)
            return
        shipped: list[tuple[float, float]] = []
        before: list[tuple[float, float]] = []
        for n in range(rounds):
            for variant in ("shipped", "before") if n % 2 == 0 else ("before", "shipped"):
                if variant == "shipped":
                    shipped.append(timed_round(ours))
                else:
                    with httpx_pool():
                        before.append(timed_round(ours))
        blocking = timed_round(lambda: [BlockingBatchTrigger(batch_id) for batch_id in ids])
    finally:
        process.terminate()
        process.wait(10)

    floor = count / transport.SharedAsyncClients.IN_FLIGHT * latency_ms / 1000
    shipped_median, shipped_line = summary(shipped, count)
    before_median, before_line = summary(before, count)
    print(
        f"{count} triggers in one event loop, all due at once, {latency_ms} ms injected latency per status request"
    )
    print(f"  OpenAIBatchTrigger:                  {shipped_line}")
    print(f"  the same over httpx's own pool:      {before_line}")
    print(
        f"  blocking client inside async run:    {blocking[0]:6.2f} s per round, {1000 * blocking[1] / count:.2f} ms CPU per poll"
    )
    print(
        f"  network floor ({transport.SharedAsyncClients.IN_FLIGHT} requests in flight): "
        f"{floor:.2f} s per round"
    )
    print(
        f"  ratio to the blocking pattern: {blocking[0] / shipped_median:.1f}x "
        f"(over httpx's own pool: {blocking[0] / before_median:.1f}x); "
        f"{before_median / shipped_median:.1f}x faster than httpx's own pool"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("triggers", nargs="?", type=int, default=1000)
    parser.add_argument("latency_ms", nargs="?", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each async variant (default 5)")
    parser.add_argument("--profile", action="store_true", help="profile one round of the shipped trigger")
    options = parser.parse_args()
    main(options.triggers, options.latency_ms, options.rounds, options.profile)
