"""Training data for fine-tuning tests: chat examples the checks and the emulator accept."""

from __future__ import annotations

import json
from typing import Any

QUEUES = ("billing", "shipping", "account", "bug")


def chat_example(n: int) -> dict[str, Any]:
    """Example `n`: a ticket about one of four queues, answered with the queue's name."""
    queue = QUEUES[n % len(QUEUES)]
    return {
        "messages": [
            {"role": "system", "content": "Route the ticket to a queue."},
            {"role": "user", "content": f"ticket {n} about {queue} problem number {n}"},
            {"role": "assistant", "content": queue},
        ]
    }


def records(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [chat_example(n) for n in range(start, start + count)]


def jsonl_bytes(items: list[Any]) -> bytes:
    return b"".join(json.dumps(item).encode() + b"\n" for item in items)
