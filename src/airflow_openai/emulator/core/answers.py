"""Model calls, whoever makes them: the endpoints a model answers, and the shapes of what answers.

Direct calls (inference's routes), batch lines (batches) and the turns of runs (assistants)
all ask `EmulatorState.respond(url, body)`, and none of them imports inference: what answers
is put on the state when the emulator starts. `server.py` chooses the `Responder` (inference's
built-in model unless told otherwise) and `app.create_app` registers the `Answerer`s that
take a call first (see `seams.Seams.answerers`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_openai.emulator.core.store import Store

Answer = tuple[int, dict[str, Any]]
"""An HTTP status and the JSON body answered."""
Responder = Callable[[str, dict[str, Any]], Answer]
"""Answers any model call: the endpoint path (`/v1/chat/completions`...) and the request body."""
Answerer = Callable[[Store, str, Any], Answer | None]
"""Answers the calls it knows (None for any other), from what the store holds."""

ENDPOINTS = ("/v1/chat/completions", "/v1/completions", "/v1/embeddings")
"""The endpoints a model answers: the direct calls, and what a batch's lines may call."""
