"""What cuts an answer short and what it says of its tokens: `stop`, `max_tokens`, `logprobs`.

`stop` sequences end the text where the first of them would begin (the sequence itself is
not returned), with `finish_reason: "stop"`; a token limit (`max_tokens`,
`max_completion_tokens`) cuts what is left past it, with `finish_reason: "length"`.
`logprobs` list each token of what is returned (`units.pieces`), the chosen one most
likely, and as many alternatives as `top_logprobs` asks, each less likely than the last:
chat's form (`{"content": [...], "refusal": null}`) and the completions' form.
"""

from __future__ import annotations

import random
from typing import Any

from airflow_openai.emulator.inference.units import cut, pieces, tokens

_VOCABULARY = (
    " the", " a", ",", ".", " and", " to", " of", " is", " in", " that", " it",
    " for", " on", " with", " as", " be", " at", " by", " this", " an", " or",
)  # fmt: skip


def stops_of(body: dict[str, Any]) -> list[str]:
    stop = body.get("stop")
    return [stop] if isinstance(stop, str) else [s for s in stop or () if s]


def shaped(text: str, stops: list[str], limit: int | None) -> tuple[str, str]:
    """`text` as returned, and its `finish_reason`."""
    found = [text.find(stop) for stop in stops if stop and stop in text]
    if found:
        text = text[: min(found)]
    if limit is not None and tokens(text) > limit:
        return cut(text, limit), "length"
    return text, "stop"


def _ranked(piece: str, top: int, rng: random.Random) -> list[tuple[str, float]]:
    """The chosen token and `top - 1` alternatives, most likely first."""
    chosen = -round(rng.random() ** 3 * 1.5, 6)
    ranked = [(piece, chosen)]
    logprob = chosen
    for word in _VOCABULARY:
        if len(ranked) >= max(top, 1):
            break
        if word != piece:
            logprob = round(logprob - 0.5 - rng.random() * 2, 6)
            ranked.append((word, logprob))
    return ranked


def _entry(token: str, logprob: float) -> dict[str, Any]:
    return {"token": token, "logprob": logprob, "bytes": list(token.encode("utf-8"))}


def chat_logprobs(text: str, top: int, rng: random.Random) -> dict[str, Any]:
    """Chat's `logprobs` for `text`, with `top` alternatives per token (`top_logprobs`, 0-20)."""
    content = []
    for piece in pieces(text):
        ranked = _ranked(piece, top, rng)
        content.append({**_entry(*ranked[0]), "top_logprobs": [_entry(*pair) for pair in ranked[:top]]})
    return {"content": content, "refusal": None}


def completion_logprobs(text: str, top: int, rng: random.Random, offset: int = 0) -> dict[str, Any]:
    """The completions' `logprobs` for `text` (`logprobs: k` asks for the k most likely per token)."""
    listed = pieces(text)
    ranked = [_ranked(piece, top, rng) for piece in listed]
    return {
        "tokens": listed,
        "token_logprobs": [pairs[0][1] for pairs in ranked],
        "top_logprobs": [dict(pairs[: max(top, 1)]) for pairs in ranked],
        "text_offset": [offset + index * 4 for index in range(len(listed))],
    }
