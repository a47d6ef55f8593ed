"""Generated bodies thrown at every route: each answer is a 2xx or a 4xx in the API's envelope, never a
5xx, and all of them travel over one kept-alive connection. (A seeded random walk, as `hypothesis` is
not a dependency.)"""

from __future__ import annotations

import random

import httpx
import pytest

VALUES = [
    None,
    True,
    0,
    1,
    -1,
    1.5,
    1e300,
    "",
    "x",
    "24h",
    "batch",
    "/v1/chat/completions",
    [],
    [None],
    ["a"],
    {},
    {"a": 1},
    {"a": "b"},
    "gpt-4o-mini",
    [{"role": "user", "content": "hi"}],
    [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
    {"type": "function", "function": {"name": "f"}},
    {"include_usage": True},
    "required",
    "wav",
]
ROUTES = {
    "/batches": ["input_file_id", "endpoint", "completion_window", "metadata"],
    "/uploads": ["filename", "purpose", "bytes", "mime_type"],
    "/uploads/{upload}/complete": ["part_ids", "md5"],
    "/chat/completions": ["model", "messages", "temperature", "n", "response_format", "stop", "logit_bias"],
    "/chat/completions#tools": [
        "model",
        "messages",
        "stream",
        "stream_options",
        "tools",
        "tool_choice",
        "logprobs",
    ],
    "/completions": ["model", "prompt", "max_tokens", "logprobs", "stream"],
    "/embeddings": ["model", "input", "dimensions", "encoding_format"],
    "/moderations": ["input", "model"],
    "/images/generations": ["prompt", "model", "n", "size", "response_format", "quality", "style"],
    "/audio/speech": ["model", "input", "voice", "response_format", "speed"],
}
CONTROL = {
    "/faults": ["path", "count", "status", "drop", "headers", "truncate_after"],
    "/clock": ["speed", "advance", "seconds_per_line"],
    "/rate_limit": ["requests_per_minute"],
    "/link": ["megabytes_per_second"],
    "/seed": ["seed"],
    "/rate_limits": ["requests_per_minute", "tokens_per_minute", "key"],
    "/latency": ["latency_ms"],
}


def _body(rng: random.Random, fields: list[str]) -> dict:
    return {name: rng.choice(VALUES) for name in fields if rng.random() < 0.8}


@pytest.mark.parametrize("seed", range(3))
def test_generated_bodies_never_get_a_5xx_nor_a_new_connection(emu, seed):
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    with (
        httpx.Client(base_url=emu.base_url, headers=headers) as api,
        httpx.Client(base_url=f"{emu.url}/_emulator") as control,
    ):
        upload = api.post(
            "/uploads", json={"filename": "a", "purpose": "batch", "bytes": 3, "mime_type": "text/plain"}
        )
        paths = {path: path.format(upload=upload.json()["id"]).partition("#")[0] for path in ROUTES}
        for _ in range(150):
            route = rng.choice(list(ROUTES))
            answer = api.post(paths[route], json=_body(rng, ROUTES[route]))
            assert answer.status_code < 500, (route, answer.request.content, answer.text)
            if answer.status_code >= 400:
                assert set(answer.json()["error"]) == {"message", "type", "param", "code"}
        for _ in range(50):
            route = rng.choice(list(CONTROL))
            answer = control.post(route, json=_body(rng, CONTROL[route]))
            assert answer.status_code < 500, (route, answer.request.content, answer.text)
            control.delete("/faults")
            control.post("/clock", json={"speed": 60})
        assert len(api._transport._pool.connections) == 1  # type: ignore[attr-defined]
