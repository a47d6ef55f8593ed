"""The built-in model's text completion (`/v1/completions`), honouring what shapes the answer.

Each prompt of a list gets `n` choices (`index` counts across prompts, as the service
counts); `max_tokens` cuts at 16 tokens unless told otherwise (the endpoint's default, so
an unbounded call ends with `finish_reason: "length"` as it does against the service);
`stop` ends the text before the first stop sequence; `echo` returns the prompt before the
completion; `logprobs: k` lists each token with its k most likely alternatives.
"""

from __future__ import annotations

import random
from typing import Any

from airflow_openai.emulator.inference import shaping
from airflow_openai.emulator.inference.units import seed_of, tokens

DEFAULT_MAX_TOKENS = 16


def _prompts(prompt: Any) -> list[str]:
    if isinstance(prompt, str):
        return [prompt]
    if prompt and all(isinstance(item, int) for item in prompt):
        return [" ".join(map(str, prompt))]
    return [item if isinstance(item, str) else " ".join(map(str, item)) for item in prompt]


def text_completion(model: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The answer to a completion request `params` has accepted."""
    prompts = _prompts(body["prompt"])
    limit = body.get("max_tokens")
    limit = DEFAULT_MAX_TOKENS if limit is None else limit
    stops = shaping.stops_of(body)
    n = body.get("n") or 1
    choices, completion_tokens = [], 0
    for number, prompt in enumerate(prompts):
        for choice in range(n):
            index = number * n + choice
            rng = random.Random(seed_of(model, prompt, index))
            ordinal = "" if choice == 0 else f" {choice + 1}"
            text, finish = shaping.shaped(f" Completion{ordinal} of: {prompt[:200]}", stops, limit)
            completion_tokens += tokens(text)
            shown = prompt + text if body.get("echo") else text
            logprobs = None
            if body.get("logprobs") is not None:
                logprobs = shaping.completion_logprobs(shown, body["logprobs"], rng)
            choices.append({"text": shown, "index": index, "logprobs": logprobs, "finish_reason": finish})
    prompt_tokens = sum(tokens(prompt) for prompt in prompts)
    seed = seed_of(model, prompts)
    return 200, {
        "id": f"cmpl-{seed:016x}",
        "object": "text_completion",
        "created": 1_700_000_000 + seed % 10_000_000,
        "model": model,
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "system_fingerprint": "fp_emulator",
    }
