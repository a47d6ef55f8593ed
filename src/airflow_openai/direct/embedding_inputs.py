"""Texts packed many to an embeddings request, and the vectors of the answers unpacked, one row per text.

The embeddings endpoint takes up to 2,048 inputs in one request (and at most 300,000 tokens in all),
and a rate limit counts requests as well as tokens: packing a few hundred texts to a request
spends one request where one text a request would spend hundreds. Vectors are asked for as
base64 (`encoding_format`), a quarter of the bytes of JSON numbers, and decoded here into floats.

A text is an id and its content: a string (its id is its position), a dict with `id` and `text`,
or a file of a source (its id is its path under the source root, the content read as UTF-8). An
empty text, a repeated id or a file that is not UTF-8 is refused, naming it, before anything is sent.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from airflow_openai.batch.requests import InvalidBatchInput

MAX_INPUTS_PER_REQUEST = 2048
MAX_TOKENS_PER_REQUEST = 300_000
CHARS_PER_TOKEN = 4


def texts_of(items: Iterable[Any]) -> Iterator[tuple[str, str]]:
    """(id, text) of each item given as a string or a ``{"id", "text"}`` dict."""
    for position, item in enumerate(items):
        if isinstance(item, str):
            yield str(position), item
        elif isinstance(item, Mapping) and isinstance(item.get("text"), str):
            yield str(item.get("id", position)), item["text"]
        else:
            raise InvalidBatchInput(
                position + 1, f"a text is a string or a dict with 'id' and 'text', got {item!r:.80}"
            )


def files_of(source: str | list[str]) -> Iterator[tuple[str, str]]:
    """(path under the source root, UTF-8 content) of each file of a glob or list of paths."""
    from airflow_openai.storage import open_binary
    from airflow_openai.vector_stores.source import scan

    try:
        files = scan(source).files
    except ValueError as exc:  # two files that would have the same id
        raise InvalidBatchInput(None, str(exc)) from None
    for number, found in enumerate(files, start=1):
        with open_binary(found.location, "rb") as stream:
            raw = stream.read()
        try:
            yield found.relative_path, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidBatchInput(
                number, f"{found.location} is not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from None


def packed(
    texts: Iterable[tuple[str, str]],
    *,
    model: str,
    dimensions: int | None = None,
    per_request: int = 256,
) -> Iterator[tuple[dict[str, Any], list[str]]]:
    """Request lines of at most `per_request` texts (and the token cap) each, with the ids they embed."""
    if not 1 <= per_request <= MAX_INPUTS_PER_REQUEST:
        raise ValueError(f"inputs_per_request is between 1 and {MAX_INPUTS_PER_REQUEST}, got {per_request}")
    seen: set[str] = set()
    ids: list[str] = []
    inputs: list[str] = []
    tokens = 0
    number = 0

    def line() -> tuple[dict[str, Any], list[str]]:
        body: dict[str, Any] = {"model": model, "input": list(inputs), "encoding_format": "base64"}
        if dimensions is not None:
            body["dimensions"] = dimensions
        request = {
            "custom_id": f"embed-{number:06d}",
            "method": "POST",
            "url": "/v1/embeddings",
            "body": body,
        }
        return request, list(ids)

    for position, (text_id, text) in enumerate(texts, start=1):
        if not text.strip():
            raise InvalidBatchInput(position, f"text {text_id!r} is empty: the API refuses empty inputs")
        if text_id in seen:
            raise InvalidBatchInput(position, f"id {text_id!r} is given twice")
        seen.add(text_id)
        cost = -(-len(text) // CHARS_PER_TOKEN)
        if inputs and (len(inputs) >= per_request or tokens + cost > MAX_TOKENS_PER_REQUEST):
            yield line()
            number, ids, inputs, tokens = number + 1, [], [], 0
        ids.append(text_id)
        inputs.append(text)
        tokens += cost
    if inputs:
        yield line()


def vector(embedding: Any) -> list[float]:
    """An embedding as floats, whether the answer gave numbers or base64 (little-endian float32)."""
    if isinstance(embedding, str):
        raw = base64.b64decode(embedding)
        return list(struct.unpack(f"<{len(raw) // 4}f", raw))
    return list(embedding)


def rows_of(result: Mapping[str, Any], ids: list[str]) -> Iterator[dict[str, Any]]:
    """One row per text of a packed request's result row: its vector, or the request's error."""
    if result.get("status") != "succeeded":
        for text_id in ids:
            yield {"id": text_id, "status": "failed", "error": result.get("error")}
        return
    response = result.get("response") or {}
    by_index = {item.get("index"): item.get("embedding") for item in response.get("data") or []}
    for index, text_id in enumerate(ids):
        if by_index.get(index) is None:
            yield {
                "id": text_id,
                "status": "failed",
                "error": {"code": "missing_result", "message": "no vector"},
            }
        else:
            yield {
                "id": text_id,
                "status": "succeeded",
                "model": response.get("model"),
                "embedding": vector(by_index[index]),
            }
