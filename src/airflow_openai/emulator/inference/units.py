"""How the built-in model counts and draws: tokens of 4 characters, and seeds taken from the request.

Every answer is a function of its request (the same request, the same answer, whatever the
emulator's `--seed`, which makes only ids repeatable), so each random choice draws from a
generator seeded by the parts of the request it depends on. A token is 4 characters, as
the service's rule of thumb has it: `usage`, `logprobs`, `max_tokens` cuts and the rate
limiter's estimate all count the same way, so they agree with each other.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

CHARS_PER_TOKEN = 4


def tokens(text: str) -> int:
    """Tokens in `text`, at least one (an empty answer still costs a token)."""
    return max(1, math.ceil(len(text) / CHARS_PER_TOKEN))


def pieces(text: str) -> list[str]:
    """`text` cut into its tokens, in order: what `logprobs` list and a stream sends one by one."""
    return [text[start : start + CHARS_PER_TOKEN] for start in range(0, len(text), CHARS_PER_TOKEN)]


def cut(text: str, limit: int) -> str:
    """The first `limit` tokens of `text`."""
    return text[: limit * CHARS_PER_TOKEN]


def seed_of(*parts: Any) -> int:
    """A 64-bit seed from any JSON-able parts: the same parts, the same seed, in any process."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def text_of(content: Any) -> str:
    """The text of a message's `content`: a string, or the `text` of each part of a list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""
