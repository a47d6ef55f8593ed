"""What every model call goes through before it is answered: its key's rate limits, then the added latency.

Each inference route calls `admitted` first, with the body it read (the token estimate needs
it); the headers it returns go on the answer. The key is the bearer key the gate has already
checked (`app.Gate`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request

from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.inference.rate_limits import RateLimits, estimate


async def admitted(state: EmulatorState, request: Request, body: Any = None) -> dict[str, str]:
    """The `x-ratelimit-*` headers for this call, once it has waited out the added latency; raises the
    429 the service answers when the key's limits are spent."""
    limits = state.in_memory(RateLimits)
    url = request.url.path
    model = body.get("model") if isinstance(body, dict) else None
    key = request.headers.get("authorization", "").partition(" ")[2].strip()
    headers = limits.admit(key, model if isinstance(model, str) else "the model", estimate(url, body))
    if limits.latency_ms:
        await asyncio.sleep(limits.latency_ms / 1000)
    return headers
