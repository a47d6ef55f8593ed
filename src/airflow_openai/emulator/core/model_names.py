"""The models the emulator knows by name: its built-in ones and their dated snapshots.

Inference refuses any other name (`params.check`) and lists these in `/v1/models`;
assistants run the chat ones. Fine-tuned models (`ft:...`) are not named here: they are
stored objects of kind `model`, made by fine-tuning and read through the store.
"""

from __future__ import annotations

import re

KNOWN_MODELS = (
    "gpt-4o-mini",
    "gpt-4o",
    "gpt-4.1-mini",
    "gpt-3.5-turbo",
    "gpt-3.5-turbo-instruct",
    "babbage-002",
    "davinci-002",
    "text-embedding-3-small",
    "text-embedding-3-large",
    "text-embedding-ada-002",
)
_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def known_model(model: str) -> bool:
    """A built-in model or a dated snapshot of one. Fine-tuned models (`ft:...`) are answered before
    these rules by `inference.tuned_answers`, while they exist: one deleted or never made is unknown here."""
    return model in KNOWN_MODELS or _SNAPSHOT.sub("", model) in KNOWN_MODELS
