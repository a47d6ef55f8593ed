"""`/moderations`: whether text (or images) breaks the usage policies, per category."""

from __future__ import annotations

from typing import Any

from airflow_openai.client.calls import ApiCall
from airflow_openai.client.checked import checked
from airflow_openai.models import CreateModerationRequest, CreateModerationResponse


def create_moderation(
    input: str | list[Any], model: str | None = None, **options: Any
) -> ApiCall[CreateModerationResponse]:
    """One result per input, in order: `flagged`, and each category with its score. Checked as
    `CreateModerationRequest` before sending.

    Sent again when its answer is lost: a moderation is free and leaves nothing behind.
    """
    body = checked(CreateModerationRequest, "POST /moderations", {"input": input, "model": model, **options})
    return ApiCall(
        "POST", "/moderations", CreateModerationResponse.model_validate, json=body, repeatable=True
    )
