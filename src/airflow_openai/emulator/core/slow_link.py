"""A simulated long-distance link: each request body arrives no faster than a set rate.

On loopback a single connection is as fast as the CPU, so sending parts side by side
shows no gain. Across the internet one connection is capped by its window and round
trip (tens of MB/s to a distant API) and several in flight add up; this recreates that
cap per request, so clients can be compared under the conditions they are built for.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any


def paced(receive: Any, bytes_per_second: float) -> Any:
    """`receive` for one request, holding each body chunk back until the link would have carried it."""
    started = time.monotonic()
    carried = 0

    async def receive_paced() -> dict[str, Any]:
        nonlocal carried
        message = await receive()
        carried += len(message.get("body", b""))
        due = started + carried / bytes_per_second
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        return message

    return receive_paced
