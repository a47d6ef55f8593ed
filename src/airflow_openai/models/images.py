"""`/images/generations`, `/images/edits` and `/images/variations`: the requests the builders check,
and the answer all three give."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from airflow_openai.models.base import OpenAIObject, RequestBody

Count = Annotated[int, Field(ge=1, le=10)]
ImageResponseFormat = Literal["url", "b64_json"]


class CreateImageRequest(RequestBody):
    """`size`, `quality` and `style` are plain strings: the newer image models take values the spec
    (2.3.0) does not list yet."""

    prompt: Annotated[str, Field(min_length=1)]
    model: str | None = None
    n: Count | None = None
    quality: str | None = None
    response_format: ImageResponseFormat | None = None
    size: str | None = None
    style: str | None = None
    user: str | None = None


class CreateImageEditRequest(RequestBody):
    """The form fields of an edit; the image and the mask go as files."""

    prompt: Annotated[str, Field(min_length=1)]
    model: str | None = None
    n: Count | None = None
    response_format: ImageResponseFormat | None = None
    size: str | None = None
    user: str | None = None


class CreateImageVariationRequest(RequestBody):
    """The form fields of a variation; the image goes as a file."""

    model: str | None = None
    n: Count | None = None
    response_format: ImageResponseFormat | None = None
    size: str | None = None
    user: str | None = None


class Image(OpenAIObject):
    """One image: a `url` (valid for an hour) or its bytes as `b64_json`, and the prompt the model used."""

    url: str | None = None
    b64_json: str | None = None
    revised_prompt: str | None = None


class ImagesResponse(OpenAIObject):
    created: int
    data: list[Image]
