"""The `OpenAI-Beta: assistants=v2` header the service requires on every Assistants API route.

Without it the service answers a 400 `invalid_beta` (the official SDKs send it on their
own); a client that forgets it against the emulator learns so here rather than in production.
"""

from __future__ import annotations

from fastapi import Request

from airflow_openai.emulator.core.errors import EmulatorError

WANTED = "assistants=v2"


async def assistants_v2(request: Request) -> None:
    """A route dependency: the 400 the service answers when the header is missing or names another version."""
    given = [part.strip() for part in request.headers.get("openai-beta", "").split(",")]
    if WANTED in given:
        return
    if "assistants=v1" in given:
        message = (
            "The v1 Assistants API has been deprecated. Please try again by setting the header "
            "'OpenAI-Beta: assistants=v2'."
        )
    else:
        message = (
            "You must provide the 'OpenAI-Beta' header to access the Assistants API. Please try again by "
            "setting the header 'OpenAI-Beta: assistants=v2'."
        )
    raise EmulatorError(400, message, code="invalid_beta")
