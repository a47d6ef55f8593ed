"""The built-in model's embeddings: unit vectors drawn from each input, as floats or base64.

The same input, the same vector: a model's vectors of `dimensions` (or its own length) are
unit length, so cosine similarity is a dot product as with the service's. `encoding_format:
"base64"` sends each vector as the base64 of its little-endian float32s, which the official
SDK asks for by default and decodes. `params` and `param_rules` have refused what the service
refuses (`dimensions` on `text-embedding-ada-002`, or above the model's length) before this runs.
"""

from __future__ import annotations

import base64
import math
import random
import struct
from typing import Any

from airflow_openai.emulator.inference.catalog import EMBEDDING_DIMENSIONS, base_of
from airflow_openai.emulator.inference.units import seed_of, tokens


def vector(model: str, text: str, size: int) -> list[float]:
    rng = random.Random(seed_of(model, text))
    drawn = [rng.gauss(0.0, 1.0) for _ in range(size)]
    norm = math.sqrt(sum(v * v for v in drawn)) or 1.0
    return [v / norm for v in drawn]


def encoded(values: list[float]) -> str:
    """`values` as the service's base64: little-endian float32s."""
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode("ascii")


def embeddings(model: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The answer to an embeddings request `params` has accepted."""
    raw = body["input"]
    if isinstance(raw, str) or (raw and all(isinstance(item, int) for item in raw)):
        raw = [raw]
    size = body.get("dimensions") or EMBEDDING_DIMENSIONS.get(base_of(model), 1536)
    as_base64 = body.get("encoding_format") == "base64"
    data, spent = [], 0
    for index, item in enumerate(raw):
        text = item if isinstance(item, str) else " ".join(map(str, item))
        spent += tokens(text)
        values = vector(model, text, size)
        data.append(
            {"object": "embedding", "index": index, "embedding": encoded(values) if as_base64 else values}
        )
    return 200, {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": spent, "total_tokens": spent},
    }
