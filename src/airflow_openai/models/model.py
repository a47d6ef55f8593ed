"""Models the key can use (`/models`), fine-tuned ones included."""

from __future__ import annotations

from typing import Literal

from airflow_openai.models.base import OpenAIObject


class Model(OpenAIObject):
    """A model id with its creation time and owner."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str
