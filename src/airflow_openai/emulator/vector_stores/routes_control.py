"""The control plane's route for vector stores: `POST /_emulator/faults/vector_store_files` makes the next
attachment of a matching file fail."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends

from airflow_openai.emulator.core.errors import not_found
from airflow_openai.emulator.core.faults import VectorStoreFileFailure
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.vector_stores.vector_store_bodies import FailVectorStoreFileRequest
from airflow_openai.emulator.vector_stores.vector_store_bodies import parse as parse_vector_store_body

router = APIRouter(prefix="/_emulator")


@router.post("/faults/vector_store_files")
async def fail_vector_store_file(
    body: dict[str, Any] = Body(...), state: EmulatorState = Depends(emulator)
) -> Any:
    """Make the next attachment of a matching file (by id, uploaded filename, both, or any without either)
    end `failed` with `last_error: {code, message}`. A `file_id` naming no file is a 404."""
    request = parse_vector_store_body(FailVectorStoreFileRequest, body)
    if request.file_id is not None and state.store.get("file", request.file_id) is None:
        raise not_found("file", request.file_id)
    failure = VectorStoreFileFailure(**request.model_dump())
    state.faults.fail_vector_store_file(failure)
    return failure.to_dict()
