"""`GET /_emulator/images/{name}`: the images answered as URLs, served without a key as the service's links are."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from airflow_openai.emulator.core.errors import EmulatorError
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.web import emulator
from airflow_openai.emulator.inference.images import ImageFiles

router = APIRouter(prefix="/_emulator/images")


@router.get("/{name}")
async def image_file(name: str, state: EmulatorState = Depends(emulator)) -> Any:
    """An image answered as a URL by `/v1/images/*`, served without a key."""
    image = state.in_memory(ImageFiles).get(name)
    if image is None:
        raise EmulatorError(404, f"No such image: '{name}' (images are kept until reset, the latest 256)")
    return Response(image, media_type="image/png")
