"""`/models`."""

from __future__ import annotations

from airflow_openai.client.calls import ApiCall, ListCall, segment
from airflow_openai.models import DeletedObject, Model


def list_models() -> ListCall[Model]:
    return ListCall("GET", "/models", Model.model_validate)


def get_model(model: str) -> ApiCall[Model]:
    return ApiCall("GET", f"/models/{segment(model)}", Model.model_validate)


def delete_model(model: str) -> ApiCall[DeletedObject]:
    """Delete a fine-tuned model (owner role required)."""
    return ApiCall("DELETE", f"/models/{segment(model)}", DeletedObject.model_validate)
