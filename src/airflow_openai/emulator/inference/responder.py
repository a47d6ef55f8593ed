"""Who answers a batch line (or a direct call): a deterministic model, a Python callable, or an upstream server.

A responder takes the endpoint path (`/v1/chat/completions`...) and the request body and
returns `(status_code, response_body)`. The default model needs no network: the same
input always gives the same output, with plausible `usage`, JSON that honours
`response_format` (`json_object`, or `json_schema` with a schema the answer satisfies),
and unit-length embeddings of the model's dimension.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import random
from typing import Any

from airflow_openai.emulator.core.answers import Responder
from airflow_openai.emulator.inference import params

EMBEDDING_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}


def _error(message: str, param: str | None = None, status: int = 400) -> tuple[int, dict[str, Any]]:
    return status, {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    }


def _tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def _seed(*parts: Any) -> int:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def default_responder(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The emulator's built-in model: refuses what the API would (see `params`), then answers."""
    problem = params.check(url, body)
    if problem is not None:
        return problem
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return _error("you must provide a model parameter", "model")
    if url == "/v1/chat/completions":
        return _chat(model, body)
    if url == "/v1/completions":
        return _completion(model, body)
    if url == "/v1/embeddings":
        return _embeddings(model, body)
    return _error(f"Invalid URL ({url})", status=404)


def _chat(model: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return _error("'messages' must be a non-empty array", "messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in {
            "system",
            "user",
            "assistant",
            "tool",
            "developer",
        }:
            return _error(f"Invalid value for 'messages[{index}].role'", f"messages[{index}].role")
    prompt = " ".join(_text_of(m.get("content")) for m in messages)
    last_user = next(
        (_text_of(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), prompt
    )
    format_spec = body.get("response_format") or {}
    try:
        content = _answer(last_user, format_spec, _seed(model, messages))
    except Exception as exc:  # noqa: BLE001 - whatever the schema given, the answer is a 400, as the API's
        return _error(f"Invalid schema for response_format: {exc}", "response_format")
    seed = _seed(model, messages, "id")
    return 200, {
        **_envelope("chatcmpl", "chat.completion", model, seed, prompt, content),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "system_fingerprint": "fp_emulator",
    }


def _completion(model: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    prompt = body.get("prompt")
    if not isinstance(prompt, str | list) or not prompt:
        return _error("'prompt' is required", "prompt")
    text = prompt if isinstance(prompt, str) else " ".join(map(str, prompt))
    content = f" Completion of: {text[:200]}"
    seed = _seed(model, text)
    return 200, {
        **_envelope("cmpl", "text_completion", model, seed, text, content),
        "choices": [{"index": 0, "text": content, "logprobs": None, "finish_reason": "stop"}],
    }


def _envelope(prefix: str, kind: str, model: str, seed: int, prompt: str, content: str) -> dict[str, Any]:
    """What chat and text completions share: id, object, creation time, model and plausible usage."""
    usage = {"prompt_tokens": _tokens(prompt), "completion_tokens": _tokens(content)}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return {
        "id": f"{prefix}-{seed:016x}",
        "object": kind,
        "created": 1_700_000_000 + seed % 10_000_000,
        "model": model,
        "usage": usage,
    }


def _embeddings(model: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    raw = body.get("input")
    inputs = [raw] if isinstance(raw, str) else raw
    if not isinstance(inputs, list) or not inputs or not all(isinstance(x, str | list) for x in inputs):
        return _error("'input' must be a string or an array of strings", "input")
    size = EMBEDDING_DIMENSIONS.get(model, 1536)
    dimensions = body.get("dimensions")
    if dimensions is not None:
        if not isinstance(dimensions, int) or not 1 <= dimensions <= size:
            return _error(f"'dimensions' must be an integer between 1 and {size}", "dimensions")
        size = dimensions
    data = []
    tokens = 0
    for index, item in enumerate(inputs):
        text = item if isinstance(item, str) else " ".join(map(str, item))
        tokens += _tokens(text)
        rng = random.Random(_seed(model, text))
        vector = [rng.gauss(0.0, 1.0) for _ in range(size)]
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        data.append({"object": "embedding", "index": index, "embedding": [v / norm for v in vector]})
    return 200, {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _answer(prompt: str, response_format: dict[str, Any], seed: int) -> str:
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind in (None, "text"):
        return f"Emulated answer to: {prompt[:300]}"
    if kind == "json_object":
        return json.dumps({"answer": f"Emulated answer to: {prompt[:200]}", "length": len(prompt)})
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        if not isinstance(schema, dict):
            raise ValueError("response_format.json_schema.schema must be a JSON schema object")
        _check_schema(schema)
        return json.dumps(instance_of(schema, schema, random.Random(seed), prompt))
    raise ValueError(f"Invalid response_format type: {kind!r}")


def _check_schema(schema: dict[str, Any]) -> None:
    """A ValueError when `schema` is not a JSON schema (checked with `jsonschema` when it is installed)."""
    try:
        from jsonschema import exceptions, validators
    except ImportError:  # pragma: no cover - the emulator runs without it too
        return
    try:
        validators.validator_for(schema).check_schema(schema)
    except exceptions.SchemaError as exc:
        path = "/".join(str(part) for part in exc.path)
        raise ValueError(f"{exc.message} (at '{path or '/'}')") from None


def instance_of(
    schema: dict[str, Any], root: dict[str, Any], rng: random.Random, text: str, depth: int = 0
) -> Any:
    """A value that validates against `schema` (the subset structured outputs allow), derived from `text`."""
    if depth > 12:
        return None
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return instance_of(target, root, rng, text, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][rng.randrange(len(schema["enum"]))]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return instance_of(schema[key][0], root, rng, text, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        properties = schema.get("properties", {})
        return {name: instance_of(sub, root, rng, text, depth + 1) for name, sub in properties.items()}
    if kind == "array":
        count = max(schema.get("minItems", 1), 1)
        count = min(count, schema.get("maxItems", count))
        return [instance_of(schema.get("items", {}), root, rng, text, depth + 1) for _ in range(count)]
    if kind == "integer":
        low, high = schema.get("minimum", 0), schema.get("maximum", 100)
        return rng.randint(int(low), int(high))
    if kind == "number":
        low, high = schema.get("minimum", 0.0), schema.get("maximum", 1.0)
        return round(rng.uniform(float(low), float(high)), 4)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    words = text.split() or ["emulated"]
    value = " ".join(words[: 3 + rng.randrange(5)])
    return value[: schema.get("maxLength", len(value))] or "x" * schema.get("minLength", 1)


def load_responder(reference: str) -> Responder:
    """`package.module:function` → the callable."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"a responder is given as 'module:function', got {reference!r}")
    return getattr(importlib.import_module(module_name), attribute)


def upstream_responder(base_url: str, api_key: str | None = None, timeout: float = 600.0) -> Responder:
    """Forward each line to an OpenAI-compatible server (vLLM, Ollama...), which may have no Batch API of its own."""
    import httpx

    client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def forward(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        path = url.removeprefix("/v1")
        try:
            response = client.post(path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            return 502, {
                "error": {
                    "message": f"upstream unreachable: {exc}",
                    "type": "server_error",
                    "param": None,
                    "code": None,
                }
            }
        try:
            return response.status_code, response.json()
        except ValueError:
            return 502, {
                "error": {
                    "message": "upstream answered with non-JSON",
                    "type": "server_error",
                    "param": None,
                    "code": None,
                }
            }

    return forward
