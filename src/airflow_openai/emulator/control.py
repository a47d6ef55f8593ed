"""The control plane under `/_emulator/`: reset, seed, clock, injected faults, rate limits, request counts
and the slow link, for every service at once.

It sits outside `/v1`, needs no key, and is what tests and demos use to make time pass
or the API misbehave on purpose. What acts on one service (forcing a batch or a fine-tuning
job into a state, failing a fine-tuning job, a vector store file or a run) is that service's
`routes_control.py`, mounted beside this one under the same prefix by `app.create_app`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends

from airflow_openai.emulator.core.bodies import (
    ClockRequest,
    FaultRequest,
    LinkRequest,
    RateLimitRequest,
    SeedRequest,
    parse,
)
from airflow_openai.emulator.core.errors import bad_request
from airflow_openai.emulator.core.faults import Fault
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.web import emulator

router = APIRouter(prefix="/_emulator")


@router.post("/reset")
async def reset(state: EmulatorState = Depends(emulator)) -> Any:
    """Forget every object, fault, limit and token, and set the clock back to real time (at its speed)."""
    state.reset()
    return {"reset": True}


@router.post("/seed")
async def seed(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    """Make the ids generated from now on repeatable: `{"seed": 42}`."""
    seed = parse(SeedRequest, body).seed
    state.ids.seed(seed)
    return {"seed": seed}


@router.get("/clock")
async def clock(state: EmulatorState = Depends(emulator)) -> Any:
    """The emulated time (`now`, Unix seconds), the clock's `speed` and how long a batch line takes."""
    return {"now": state.clock.now(), "speed": state.clock.speed, "seconds_per_line": state.seconds_per_line}


@router.post("/clock")
async def set_clock(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    """Change the clock: `{"speed": 60}` (emulated seconds per real second), `{"advance": 86400}` (jump
    ahead), `{"seconds_per_line": 0.06}` (a batch line's emulated time)."""
    change = parse(ClockRequest, body)
    if change.speed is not None:
        state.clock.set_speed(change.speed)
    if change.seconds_per_line is not None:
        state.seconds_per_line = change.seconds_per_line
    if change.advance is not None:
        state.clock.advance(change.advance)
    return {"now": state.now(), "speed": state.clock.speed, "seconds_per_line": state.seconds_per_line}


@router.post("/faults")
async def add_fault(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    """Inject a fault for the next `count` requests matching `path` and `method` (globs): a `status` with
    `retry_after`, `latency_ms`, `drop`, `after` (the service acts, then the answer is lost),
    `truncate_after`."""
    checked = parse(FaultRequest, body)
    try:
        fault = Fault(**checked.model_dump())
    except TypeError as exc:
        raise bad_request(f"invalid fault: {exc}") from exc
    state.faults.add(fault)
    return {"faults": state.faults.listing()}


@router.get("/faults")
async def list_faults(state: EmulatorState = Depends(emulator)) -> Any:
    """The faults still pending, the requests-per-minute cap and the failures planned for fine-tuning jobs,
    vector store files and runs."""
    return {
        "faults": state.faults.listing(),
        "requests_per_minute": state.faults.requests_per_minute,
        "fine_tuning_failures": state.faults.fine_tuning_listing(),
        "vector_store_file_failures": state.faults.vector_store_file_listing(),
        "run_failures": state.faults.run_listing(),
    }


@router.delete("/faults")
async def clear_faults(state: EmulatorState = Depends(emulator)) -> Any:
    """Drop every pending fault and planned failure; lift the requests-per-minute cap and the slow link."""
    state.faults.clear()
    return {"faults": []}


@router.post("/rate_limit")
async def rate_limit(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    """Cap every `/v1` route at `requests_per_minute` (429 with `x-ratelimit-*` headers past it); null lifts
    it."""
    rpm = parse(RateLimitRequest, body).requests_per_minute
    state.faults.requests_per_minute = int(rpm) if rpm else None
    return {"requests_per_minute": state.faults.requests_per_minute}


@router.get("/requests")
async def requests(state: EmulatorState = Depends(emulator)) -> Any:
    """API requests received since the last reset, per method and path."""
    return {"requests": state.requests.listing()}


@router.post("/link")
async def link(body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)) -> Any:
    """Cap each request body at this many MB/s, as one connection over a long-distance link; null lifts it."""
    rate = parse(LinkRequest, body).megabytes_per_second
    state.faults.link_bytes_per_second = float(rate) * 1e6 if rate else None
    return {"megabytes_per_second": rate or None}
