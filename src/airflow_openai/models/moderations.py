"""`/moderations`: the request the builder checks and the answer."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from airflow_openai.models.base import OpenAIObject, RequestBody


class CreateModerationRequest(RequestBody):
    input: str | list[str] | Annotated[list[dict[str, Any]], Field(min_length=1)]
    model: Annotated[str, Field(min_length=1)] | None = None


class ModerationResult(OpenAIObject):
    """One input's verdict. Categories are keyed as the API names them (`hate/threatening`,
    `self-harm/intent`...), so a category the API adds is there too."""

    flagged: bool
    categories: dict[str, bool | None]
    category_scores: dict[str, float]
    category_applied_input_types: dict[str, list[str]] | None = None


class CreateModerationResponse(OpenAIObject):
    id: str
    model: str
    results: list[ModerationResult]
