"""The models inference serves, by family, with the dates the service gives them.

Chat, completion and embedding models are the ones `core.model_names` knows (assistants run
the same ones); the media models (moderation, image, speech and transcription) are
inference's alone, so a chat request naming `dall-e-3` is refused as an unknown model, as
the service refuses a model that is not a chat model. A dated snapshot of a model
(`gpt-4o-mini-2024-07-18`) is the model: `GET /v1/models/{snapshot}` finds it, as chat
accepts it.
"""

from __future__ import annotations

import re

from airflow_openai.emulator.core.model_names import KNOWN_MODELS

CREATED = {
    "gpt-4o-mini": 1721172741,
    "gpt-4o": 1715367049,
    "gpt-4.1-mini": 1744318173,
    "gpt-3.5-turbo": 1677610602,
    "gpt-3.5-turbo-instruct": 1692901427,
    "babbage-002": 1692634615,
    "davinci-002": 1692634301,
    "text-embedding-3-small": 1705948997,
    "text-embedding-3-large": 1705953180,
    "text-embedding-ada-002": 1671217299,
    "text-moderation-latest": 1698019200,
    "text-moderation-stable": 1698019200,
    "omni-moderation-latest": 1731689265,
    "dall-e-2": 1698798177,
    "dall-e-3": 1698785189,
    "tts-1": 1681940951,
    "tts-1-hd": 1699046015,
    "whisper-1": 1677532384,
}
"""Each built-in model and its `created` time, as `/v1/models` lists them."""

EMBEDDING_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
"""Each embedding model's vector length; only the `text-embedding-3` models take `dimensions`."""
FIXED_DIMENSIONS = ("text-embedding-ada-002",)

MODERATION = ("text-moderation-latest", "text-moderation-stable", "omni-moderation-latest")
IMAGE = ("dall-e-2", "dall-e-3")
SPEECH = ("tts-1", "tts-1-hd")
TRANSCRIPTION = ("whisper-1",)

_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")

assert set(KNOWN_MODELS) | set(MODERATION + IMAGE + SPEECH + TRANSCRIPTION) == set(CREATED)


def base_of(model: str) -> str:
    """The model a dated snapshot belongs to (`gpt-4o-2024-08-06` → `gpt-4o`); any other name as it is."""
    return _SNAPSHOT.sub("", model)


def created(model: str) -> int | None:
    """When a built-in model (or a snapshot of one) was made; None for a name the emulator does not serve."""
    return CREATED.get(model, CREATED.get(base_of(model)))


def in_family(model: str, family: tuple[str, ...]) -> bool:
    """A model of `family`, or a dated snapshot of one."""
    return model in family or base_of(model) in family
