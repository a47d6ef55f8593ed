"""`/v1/images/generations`, `/edits` and `/variations`: real PNGs of the size asked, as URLs or base64.

Requests are read as the spec writes them (`CreateImageRequest`, `CreateImageEditRequest`,
`CreateImageVariationRequest`) and refused as the service refuses them: an unknown model,
`n` above 1 or a size it does not make for `dall-e-3`, a prompt over the model's length, a
model other than `dall-e-2` for edits and variations, an upload that is not a square PNG
under 4 MB, an edit of an image without transparency and without a mask, a mask of another
size. Each image is drawn from the prompt (and the uploaded image's bytes), so the same call
draws the same pictures (`png.tiles`); `dall-e-3` answers its `revised_prompt` too. With
`response_format: "url"` (the default) the image is kept in memory (`ImageFiles`) and served
without a key at `/_emulator/images/{name}`, as the service's links need none.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections import OrderedDict
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from airflow_openai.emulator.core.errors import EmulatorError, bad_request
from airflow_openai.emulator.core.strict import invalid
from airflow_openai.emulator.inference import png
from airflow_openai.emulator.inference.catalog import IMAGE, in_family
from airflow_openai.emulator.inference.strict_bodies import parse
from airflow_openai.emulator.inference.units import seed_of

MAX_UPLOAD = 4 * 1024 * 1024
SIZES = {"dall-e-2": ("256x256", "512x512", "1024x1024"), "dall-e-3": ("1024x1024", "1792x1024", "1024x1792")}
PROMPT_LENGTH = {"dall-e-2": 1000, "dall-e-3": 4000}
EDITABLE = ("RGBA", "LA", "L")
KEPT = 256
"""Images kept for their URLs; the oldest are forgotten past this (the service's links expire too)."""


class _Form(BaseModel):
    """Multipart fields arrive as text: numbers are read from it (`"2"` is 2, `"two"` is refused)."""

    model_config = ConfigDict(strict=False, extra="ignore")

    model: str | None = None
    n: Annotated[int, Field(ge=1, le=10)] | None = None
    response_format: Literal["url", "b64_json"] | None = None
    user: str | None = None


class CreateImageRequest(_Form):
    model_config = ConfigDict(strict=True, extra="ignore")

    prompt: Annotated[str, Field(min_length=1)]
    quality: Literal["standard", "hd"] | None = None
    size: Literal["256x256", "512x512", "1024x1024", "1792x1024", "1024x1792"] | None = None
    style: Literal["vivid", "natural"] | None = None


class CreateImageEditRequest(_Form):
    prompt: Annotated[str, Field(min_length=1)]
    size: Literal["256x256", "512x512", "1024x1024"] | None = None


class CreateImageVariationRequest(_Form):
    size: Literal["256x256", "512x512", "1024x1024"] | None = None


class ImageFiles:
    """The images answered as URLs, by name, newest last (held by `EmulatorState.in_memory`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._images: OrderedDict[str, bytes] = OrderedDict()

    def keep(self, name: str, image: bytes) -> None:
        with self._lock:
            self._images[name] = image
            while len(self._images) > KEPT:
                self._images.popitem(last=False)

    def get(self, name: str) -> bytes | None:
        with self._lock:
            return self._images.get(name)

    def clear(self) -> None:
        with self._lock:
            self._images.clear()

    def close(self) -> None:
        self.clear()


def _model(request: _Form, edits: bool) -> str:
    model = request.model or "dall-e-2"
    if not in_family(model, IMAGE):
        raise EmulatorError(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            param="model",
            code="model_not_found",
        )
    if edits and model != "dall-e-2":
        raise bad_request(
            f"Invalid model {model}. The model must be dall-e-2 for this endpoint.",
            param="model",
            code="invalid_value",
        )
    return model


def generation(body: Any) -> tuple[CreateImageRequest, str]:
    """The request and its model, or the service's refusal raised."""
    request = parse(CreateImageRequest, body)
    model = _model(request, edits=False)
    longest = PROMPT_LENGTH[model]
    if len(request.prompt) > longest:
        raise invalid(
            "prompt", "string too long", f"a string with maximum length {longest}",
            f"a string with length {len(request.prompt)}", code="string_above_max_length",
        )  # fmt: skip
    if model == "dall-e-3" and (request.n or 1) != 1:
        raise bad_request("Invalid 'n': dall-e-3 only supports n=1.", param="n", code="invalid_value")
    size = request.size or "1024x1024"
    if size not in SIZES[model]:
        raise bad_request(
            f"Invalid value for 'size': '{size}' is not one of {list(SIZES[model])} for {model}.",
            param="size", code="invalid_value",
        )  # fmt: skip
    return request, model


def edit(form: dict[str, Any], image: bytes, mask: bytes | None) -> CreateImageEditRequest:
    request = parse(CreateImageEditRequest, form)
    _model(request, edits=True)
    shape = _square_png(image)
    if mask is None and shape.mode not in EDITABLE:
        raise bad_request(
            f"Invalid input image - format must be in {list(EDITABLE)}, got {shape.mode}.", param="image"
        )
    if mask is not None:
        masked = png.header(mask)
        if masked is None or (masked.width, masked.height) != (shape.width, shape.height):
            raise bad_request(
                "Invalid mask image - it must be a PNG of the same size as the image.", param="mask"
            )
    return request


def variation(form: dict[str, Any], image: bytes) -> CreateImageVariationRequest:
    request = parse(CreateImageVariationRequest, form)
    _model(request, edits=True)
    _square_png(image)
    return request


def _square_png(image: bytes) -> png.Header:
    shape = png.header(image)
    if shape is None or len(image) >= MAX_UPLOAD:
        raise bad_request("Uploaded image must be a PNG and less than 4 MB.", param="image")
    if shape.width != shape.height:
        raise bad_request("Uploaded image must be square.", param="image")
    return shape


def drawn(
    request: _Form, prompt: str, source: bytes, names: list[str]
) -> list[tuple[str, bytes, dict[str, Any]]]:
    """For each of `names` (one per image asked): the name, the PNG, and its entry in `data` (no URL yet)."""
    width, height = (int(side) for side in (getattr(request, "size", None) or "1024x1024").split("x"))
    digest = hashlib.sha256(source).hexdigest()
    made = []
    for index, name in enumerate(names):
        image = png.tiles(width, height, seed_of(request.model, prompt, digest, index))
        entry: dict[str, Any] = {}
        if request.response_format == "b64_json":
            entry["b64_json"] = base64.b64encode(image).decode("ascii")
        if (request.model or "").startswith("dall-e-3"):
            entry["revised_prompt"] = f"A picture of {prompt[:300]}"
        made.append((name, image, entry))
    return made
