"""The control plane's routes for model calls: per-key rate limits and an added latency (see `rate_limits`).

- `POST /_emulator/rate_limits` `{"requests_per_minute", "tokens_per_minute", "key"}`: limit every
  key (each its own buckets), or only `key`; null lifts a limit. The buckets start full.
- `GET /_emulator/rate_limits`: the limits, per key, and the latency.
- `DELETE /_emulator/rate_limits`: lift every limit (the latency stays).
- `POST /_emulator/latency` `{"latency_ms"}`: add this to every model call admitted (0 removes it).

`POST /_emulator/reset` lifts both. `POST /_emulator/rate_limit` (the gate's requests-per-minute
on every route) is another, older limit, and counts separately.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import Field

from airflow_openai.emulator.core.bodies import Forbidding, parse
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.inference.rate_limits import Limits, RateLimits

router = APIRouter(prefix="/_emulator")

PerMinute = Annotated[int, Field(ge=1, le=10**12)]


class RateLimitsRequest(Forbidding):
    requests_per_minute: PerMinute | None = None
    tokens_per_minute: PerMinute | None = None
    key: Annotated[str, Field(min_length=1)] | None = None


class LatencyRequest(Forbidding):
    latency_ms: Annotated[int, Field(ge=0, le=600_000)]


@router.post("/rate_limits")
async def set_rate_limits(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    """Rate-limit model calls per key as the service does: `{"requests_per_minute", "tokens_per_minute",
    "key"}` (every key, or only `key`); null lifts a limit."""
    request = parse(RateLimitsRequest, body)
    limits = state.in_memory(RateLimits)
    limits.set(Limits(request.requests_per_minute, request.tokens_per_minute), request.key)
    return limits.listing()


@router.get("/rate_limits")
async def rate_limits(state: EmulatorState = Depends(emulator)) -> Any:
    """The model calls' rate limits per key, and the added latency."""
    return state.in_memory(RateLimits).listing()


@router.delete("/rate_limits")
async def lift_rate_limits(state: EmulatorState = Depends(emulator)) -> Any:
    """Lift every model-call rate limit (the latency stays)."""
    limits = state.in_memory(RateLimits)
    limits.lift()
    return limits.listing()


@router.post("/latency")
async def set_latency(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    """Add `{"latency_ms"}` to every model call admitted (0 removes it)."""
    limits = state.in_memory(RateLimits)
    limits.latency_ms = parse(LatencyRequest, body).latency_ms
    return limits.listing()
