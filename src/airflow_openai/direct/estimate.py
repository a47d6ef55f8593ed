"""A request's token cost as the service reserves it before answering: what a rate limit counts.

The service takes a call's tokens from the key's per-minute budget when it admits the call, before
the answer is written, so it cannot count the tokens the answer will really use: it estimates,
from the prompt's characters (about four to a token) and the completion tokens the call may spend
(`max_completion_tokens`, `max_tokens`, times `n`). Pacing with the same estimate keeps the client's
view of the budget where the service's is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

CHARS_PER_TOKEN = 4
PROMPT_FIELDS = ("messages", "prompt", "input", "instructions")
COMPLETION_DEFAULTS = {"/v1/completions": 16, "/completions": 16}
"""Completion tokens a call may spend when it names no limit: the endpoint's own default."""


def estimated_tokens(body: Mapping[str, Any], endpoint: str = "") -> int:
    """The tokens the service will reserve for `body`: at least one."""
    characters = sum(_characters(body.get(name)) for name in PROMPT_FIELDS)
    prompt = math.ceil(characters / CHARS_PER_TOKEN)
    completion = (
        body.get("max_completion_tokens") or body.get("max_tokens") or COMPLETION_DEFAULTS.get(endpoint, 0)
    )
    choices = body.get("n") or 1
    spent = completion * choices if isinstance(completion, int) and isinstance(choices, int) else 0
    return max(1, prompt + spent)


def _characters(value: Any) -> int:
    """The characters of the text in a prompt field, however nested (messages, content parts)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Mapping):
        return sum(_characters(item) for key, item in value.items() if key in ("content", "text", "input"))
    if isinstance(value, list):
        return sum(_characters(item) for item in value)
    return 0
