"""Answers from the fine-tuned models the emulator made: the reply of the closest training example.

A fine-tuned model answers with the assistant reply (or completion) of the training example
whose last user message (or prompt) is closest to the request's last user message (or
prompt): the same text, case and spacing aside, wins; otherwise the example sharing the most
words relative to all the words of both (Jaccard similarity); the earliest on a tie. An
evaluation against the base model thus shows a real difference, and a repeatable one.

Fine-tuning makes the models; inference answers them. The seam is the store: a fine-tuned
model is a stored object of kind `model` whose `_family` names its base model and whose
`_examples` names a content file of `[{"prompt", "answer"}...]` (written by
`fine_tuning.fine_tuning_results`). `respond` is registered as the first of `state.seams.answerers`
when the app starts, so `EmulatorState.respond` asks it before the responder.

The rest is the built-in responder's for the model's base family: its parameter checks
(a fine-tuned model refuses what its base refuses), envelope and usage. This applies to
direct calls and batch lines alike, whatever responder the emulator was given, since only
the emulator knows its fine-tuned models.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

from airflow_openai.emulator.core.store import Store
from airflow_openai.emulator.inference.responder import default_responder

ENDPOINTS = ("/v1/chat/completions", "/v1/completions")
_WORD = re.compile(r"\w+")

Answer = tuple[int, dict[str, Any]]


def respond(store: Store, url: str, body: Any) -> Answer | None:
    """The answer when `body` names a fine-tuned model stored here; None for any other model."""
    if url not in ENDPOINTS or not isinstance(body, dict):
        return None
    name = body.get("model")
    if not isinstance(name, str) or not name.startswith("ft:"):
        return None
    model = store.get("model", name)
    if model is None or "_examples" not in model:
        return None
    path = store.content_path(model["_examples"])
    if not path.exists():
        return None
    status, answer = default_responder(url, {**body, "model": model["_family"]})
    if status != 200:
        return status, answer
    reply = closest(_examples(str(path), path.stat().st_mtime_ns), _question(url, body))
    return 200, _rewritten(answer, name, reply, chat=url == "/v1/chat/completions")


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.lower()))


@functools.lru_cache(maxsize=32)
def _examples(path: str, stamp: int) -> tuple[tuple[str, frozenset[str], dict[str, Any]], ...]:
    """The examples of a model (kept by `fine_tuning_results`), read once per version of the file."""
    loaded = json.loads(Path(path).read_text())
    return tuple((_normal(item["prompt"]), _words(item["prompt"]), item["answer"]) for item in loaded)


def closest(
    examples: tuple[tuple[str, frozenset[str], dict[str, Any]], ...], question: str
) -> dict[str, Any]:
    """The answer of the example closest to `question` (see the module's docstring)."""
    wanted, words = _normal(question), _words(question)
    best, best_score = examples[0][2], -1.0
    for prompt, prompt_words, answer in examples:
        if prompt == wanted:
            return answer
        union = words | prompt_words
        score = len(words & prompt_words) / len(union) if union else 0.0
        if score > best_score:
            best, best_score = answer, score
    return best


def _question(url: str, body: dict[str, Any]) -> str:
    if url == "/v1/completions":
        prompt = body.get("prompt")
        return prompt if isinstance(prompt, str) else " ".join(map(str, prompt or []))
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
            return content if isinstance(content, str) else ""
    return ""


def _rewritten(answer: dict[str, Any], model: str, reply: dict[str, Any], *, chat: bool) -> dict[str, Any]:
    """The base family's answer, made the fine-tuned model's: its name, its reply, its id and usage."""
    content = reply.get("content")
    calls = reply.get("tool_calls")
    for choice in answer["choices"]:
        if chat:
            message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
            if calls:
                message["tool_calls"] = calls
            choice["message"] = message
            choice["finish_reason"] = "tool_calls" if calls else "stop"
        else:
            choice["text"] = content or ""
    said = content or (json.dumps(calls) if calls else "")
    usage = answer["usage"]
    usage["completion_tokens"] = max(1, math.ceil(len(said) / 4))
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    prefix, _, rest = answer["id"].partition("-")
    answer["id"] = f"{prefix}-{hashlib.sha256((model + rest).encode()).hexdigest()[:16]}"
    answer["model"] = model
    return answer
