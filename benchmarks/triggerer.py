"""One round of status polls by 1,000 batch triggers in one event loop, against the emulator with 50 ms
of injected latency per request: `OpenAIBatchTrigger` (async client) against the existing provider's
pattern, a trigger that calls a blocking client inside `async def run`.

    python benchmarks/triggerer.py [triggers] [latency_ms]

Prints the seconds for a full round (every trigger has polled once) and the ratio.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-airflow-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")

from airflow.triggers.base import BaseTrigger, TriggerEvent  # noqa: E402
from emulator_process import start_emulator  # noqa: E402

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


def main(count: int = 1000, latency_ms: int = 50, repeats: int = 3) -> None:
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

        ours = [asyncio.run(one_round([OpenAIBatchTrigger([i]) for i in ids])) for _ in range(repeats)]
        blocking = [asyncio.run(one_round([BlockingBatchTrigger(i) for i in ids]))]
    finally:
        process.terminate()
        process.wait(10)

    print(f"{count} triggers in one event loop, {latency_ms} ms injected latency per status request")
    print(
        f"  OpenAIBatchTrigger (async client):  median {statistics.median(ours):6.2f} s per round  (runs: {', '.join(f'{t:.2f}' for t in ours)})"
    )
    print(f"  blocking client inside async run:   {statistics.median(blocking):6.2f} s per round")
    print(f"  ratio: {statistics.median(blocking) / statistics.median(ours):.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000, int(sys.argv[2]) if len(sys.argv) > 2 else 50)
