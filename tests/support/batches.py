"""Batch input files for tests."""

from __future__ import annotations

import io
import json
from typing import Any

BATCH_OBJECT = {
    "id": "batch_abc",
    "object": "batch",
    "endpoint": "/v1/chat/completions",
    "input_file_id": "file-in",
    "completion_window": "24h",
    "status": "in_progress",
    "created_at": 1711471533,
}
"""A batch as the API answers for one, for scripted-server tests."""


def chat_line(n: int, url: str = "/v1/chat/completions", **body: Any) -> dict[str, Any]:
    return {
        "custom_id": f"request-{n}",
        "method": "POST",
        "url": url,
        "body": {
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": f"Question number {n}?"}],
            **body,
        },
    }


def mixed_embeddings(count: int) -> list[dict[str, Any]]:
    """Embedding requests of which every third fails with a 400 (too many dimensions)."""
    return [{"input": f"text {n}", "dimensions": 8 if n % 3 else 99999} for n in range(count)]


def jsonl(lines: list[Any]) -> io.BytesIO:
    return io.BytesIO(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines).encode()
    )


def read_jsonl(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode().splitlines() if line.strip()]


def wait_for(hook: Any, batch_id: str, timeout: float = 30.0) -> Any:
    import time

    deadline = time.monotonic() + timeout
    batch = hook.get_batch(batch_id)
    while not batch.is_terminal:
        assert time.monotonic() < deadline, f"batch {batch_id} still {batch.status}"
        time.sleep(0.1)
        batch = hook.get_batch(batch_id)
    return batch
