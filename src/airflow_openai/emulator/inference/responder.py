"""Who answers a batch line (or a direct call): a deterministic model, a Python callable, or an upstream server.

A responder takes the endpoint path (`/v1/chat/completions`...) and the request body and
returns `(status_code, response_body)`. The default model needs no network: the same
input always gives the same output (`chat`, `completions`, `embeddings`), with plausible
`usage`. It also says what an audio file says (`TRANSCRIBING`: the body describes the file,
see `transcription`), so a responder of one's own can choose what a transcription reads.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

from airflow_openai.emulator.core.answers import ENDPOINTS, Responder
from airflow_openai.emulator.inference import params
from airflow_openai.emulator.inference.chat import chat_completion
from airflow_openai.emulator.inference.completions import text_completion
from airflow_openai.emulator.inference.embeddings import embeddings

TRANSCRIBING = ("/v1/audio/transcriptions", "/v1/audio/translations")
"""What the routes of `routes_audio` ask the responder: the text heard in an audio file (see `transcription`)."""


def _error(message: str, param: str | None = None, status: int = 400) -> tuple[int, dict[str, Any]]:
    return status, {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    }


def default_responder(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The emulator's built-in model: refuses what the API would (see `params`), then answers."""
    return _answer(url, body, frozenset())


def builtin_responder(accepted_fields: Iterable[str] = ()) -> Responder:
    """The built-in model, taking besides the fields of the API description (2.3.0) those named in
    `accepted_fields`, unchecked and unused (`Emulator(accept_fields=[...])`, `--accept-field`).

    The service refuses a body field it does not know (`Unrecognized request argument supplied`),
    and so does the emulator: a parameter the API added after 2.3.0, which a DAG sends through the
    operators' `extra_body`, is answered here only when named. With none named this is
    `default_responder`.
    """
    accepted = frozenset(accepted_fields)
    if not accepted:
        return default_responder

    def answer(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return _answer(url, body, accepted)

    return answer


def _answer(url: str, body: dict[str, Any], accepted: frozenset[str]) -> tuple[int, dict[str, Any]]:
    if url in TRANSCRIBING:
        return 200, {"text": heard_text(url, body)}
    problem = params.check(url, body, accepted)
    if problem is not None:
        return problem
    model = body["model"]
    if url == "/v1/chat/completions":
        return chat_completion(model, body)
    if url == "/v1/completions":
        return text_completion(model, body)
    if url == "/v1/embeddings":
        return embeddings(model, body)
    return _error(f"Invalid URL ({url})", status=404)


def heard_text(url: str, body: dict[str, Any]) -> str:
    """What the built-in model hears in an audio file: what the emulator's own speech says, else a
    sentence naming the file."""
    heard = body.get("heard")
    if isinstance(heard, str):
        return heard
    kind = "translation" if url.endswith("translations") else "transcription"
    return f"Emulated {kind} of {body.get('filename') or 'audio'}."


def load_responder(reference: str) -> Responder:
    """`package.module:function` → the callable."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"a responder is given as 'module:function', got {reference!r}")
    return getattr(importlib.import_module(module_name), attribute)


def upstream_responder(base_url: str, api_key: str | None = None, timeout: float = 600.0) -> Responder:
    """Forward each line to an OpenAI-compatible server (vLLM, Ollama...), which may have no Batch API of its own.
    The whole answer is asked for: a call that streams is streamed by the emulator's route."""
    import httpx

    client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def forward(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if url not in ENDPOINTS:  # what the upstream cannot be asked as JSON: the built-in model says it
            return default_responder(url, body)
        path = url.removeprefix("/v1")
        body = {key: value for key, value in body.items() if key not in ("stream", "stream_options")}
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
