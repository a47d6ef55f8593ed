"""`/images/generations`, `/images/edits` and `/images/variations`: images from a prompt, an edit
of an image (multipart: the image, an optional mask, the prompt) and variations of one.

Each is checked as the spec's request (`CreateImageRequest`, `CreateImageEditRequest`,
`CreateImageVariationRequest`) before sending; a lost answer is not asked for again (see `chat`).
"""

from __future__ import annotations

import mimetypes
from typing import IO, Any

from airflow_openai.client.calls import ApiCall, MultipartFile
from airflow_openai.client.checked import checked, checked_form
from airflow_openai.models import (
    CreateImageEditRequest,
    CreateImageRequest,
    CreateImageVariationRequest,
    ImagesResponse,
)


def create_image(prompt: str, **options: Any) -> ApiCall[ImagesResponse]:
    """Images made from `prompt`; `options` are the spec's other fields (model, n, size, quality,
    style, response_format: `url` or `b64_json`)."""
    body = checked(CreateImageRequest, "POST /images/generations", {"prompt": prompt, **options})
    return ApiCall("POST", "/images/generations", ImagesResponse.model_validate, json=body)


def create_image_edit(
    image: IO[bytes],
    image_name: str,
    prompt: str,
    mask: IO[bytes] | None = None,
    mask_name: str = "mask.png",
    **options: Any,
) -> ApiCall[ImagesResponse]:
    """`image` edited as `prompt` says, where `mask` (a PNG of the same size) is transparent, or where
    the image itself is; sent from the file objects as they stand."""
    form = checked_form(CreateImageEditRequest, "POST /images/edits", {"prompt": prompt, **options})
    files = {"image": picture(image_name, image)}
    if mask is not None:
        files["mask"] = picture(mask_name, mask)
    return ApiCall("POST", "/images/edits", ImagesResponse.model_validate, form=form, files=files)


def create_image_variation(image: IO[bytes], image_name: str, **options: Any) -> ApiCall[ImagesResponse]:
    """Variations of `image` (a square PNG under 4 MB); `options` are n, size, response_format, model."""
    form = checked_form(CreateImageVariationRequest, "POST /images/variations", options)
    files = {"image": picture(image_name, image)}
    return ApiCall("POST", "/images/variations", ImagesResponse.model_validate, form=form, files=files)


def picture(name: str, stream: IO[bytes]) -> MultipartFile:
    return MultipartFile.of(name, stream, mimetypes.guess_type(name)[0] or "application/octet-stream")
