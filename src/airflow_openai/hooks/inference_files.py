"""The hook's inference calls that carry files.

Image edits and variations, transcriptions and translations upload from a local path, an
object storage URI or `ObjectStoragePath`, or a binary file object (from its current
position), streamed as a multipart form; speech streams its audio to a destination of the same
kinds, as `download_file` does. Bodies are checked as the spec's request models before
anything is opened or sent. The async twins run the same work in a worker thread: opening and
reading a bucket, or writing one, blocks whatever the transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import Iterator
from typing import Any

from airflow_openai.client.endpoints import audio, images
from airflow_openai.client.errors import InvalidRequestError
from airflow_openai.hooks.destinations import PathOrFile, stream_to
from airflow_openai.hooks.off_loop import run_until_done
from airflow_openai.models import ImagesResponse
from airflow_openai.models.audio import Transcription, Translation
from airflow_openai.storage import is_object_storage
from airflow_openai.transfers.sources import OpenedSource, open_source


class InferenceFilesMixin:
    """For `OpenAIHook`: `create_image_edit`, `create_image_variation`, `create_speech`,
    `create_transcription`, `create_translation`, and their `a`-prefixed async twins."""

    def create_image_edit(
        self: Any, image: Any, prompt: str, *, mask: Any = None, filename: str | None = None, **options: Any
    ) -> ImagesResponse:
        """`image` (a PNG) edited as `prompt` says, where `mask` (a PNG of the same size) is
        transparent, or where the image itself is; `options` are n, size, response_format, model."""
        with open_source(image, _name(image, filename, "image.png")) as picture, _opened(mask) as masked:
            call = images.create_image_edit(
                picture.stream,
                picture.filename,
                prompt,
                mask=None if masked is None else masked.stream,
                mask_name="mask.png" if masked is None else masked.filename,
                **options,
            )
            return self.transport.request(call)

    def create_image_variation(
        self: Any, image: Any, *, filename: str | None = None, **options: Any
    ) -> ImagesResponse:
        """Variations of `image` (a square PNG); `options` are n, size, response_format, model."""
        with open_source(image, _name(image, filename, "image.png")) as picture:
            return self.transport.request(
                images.create_image_variation(picture.stream, picture.filename, **options)
            )

    def create_speech(
        self: Any,
        model: str,
        input: str,
        voice: str,
        destination: PathOrFile,
        *,
        stop: threading.Event | None = None,
        **options: Any,
    ) -> int:
        """`input` read aloud in `voice`, streamed to `destination` in constant memory; returns the
        byte count. `options` are response_format (mp3 by default; opus, aac, flac, wav, pcm) and
        speed. A failure removes what a path received; `stop` (set from another thread) ends it."""
        return stream_to(
            self.transport, audio.create_speech(model, input, voice, **options), destination, stop=stop
        )

    def create_transcription(
        self: Any,
        file: Any,
        model: str,
        *,
        response_format: str | None = None,
        filename: str | None = None,
        **options: Any,
    ) -> Transcription:
        """The text of the audio in `file` (its format told by the file name's extension; give
        `filename` for a file object without one). `json` (the default) and `verbose_json` answer
        with a model, `text`, `srt` and `vtt` with a string; `options` are language, prompt,
        temperature and timestamp_granularities (with `verbose_json`)."""
        with open_source(file, _name(file, filename, request="POST /audio/transcriptions")) as sound:
            call = audio.create_transcription(
                sound.stream, sound.filename, model, response_format=response_format, **options
            )
            return self.transport.request(call)

    def create_translation(
        self: Any,
        file: Any,
        model: str,
        *,
        response_format: str | None = None,
        filename: str | None = None,
        **options: Any,
    ) -> Translation:
        """The audio in `file` as English text, in the `response_format` asked for (as
        `create_transcription`); `options` are prompt and temperature."""
        with open_source(file, _name(file, filename, request="POST /audio/translations")) as sound:
            call = audio.create_translation(
                sound.stream, sound.filename, model, response_format=response_format, **options
            )
            return self.transport.request(call)

    async def acreate_image_edit(
        self: Any, image: Any, prompt: str, *, mask: Any = None, filename: str | None = None, **options: Any
    ) -> ImagesResponse:
        """`create_image_edit` from an event loop, which it never blocks."""
        await self.asettings()  # the connection is read the async way, not from the worker thread
        work = functools.partial(
            self.create_image_edit, image, prompt, mask=mask, filename=filename, **options
        )
        result: ImagesResponse = await asyncio.to_thread(work)
        return result

    async def acreate_image_variation(
        self: Any, image: Any, *, filename: str | None = None, **options: Any
    ) -> ImagesResponse:
        """`create_image_variation` from an event loop, which it never blocks."""
        await self.asettings()
        work = functools.partial(self.create_image_variation, image, filename=filename, **options)
        result: ImagesResponse = await asyncio.to_thread(work)
        return result

    async def acreate_speech(
        self: Any, model: str, input: str, voice: str, destination: PathOrFile, **options: Any
    ) -> int:
        """`create_speech` from an event loop, which it never blocks; cancelling the awaiting task
        stops it at the next chunk, and the cancellation goes on once the destination is closed."""
        await self.asettings()
        result: int = await run_until_done(
            functools.partial(self.create_speech, model, input, voice, destination, **options)
        )
        return result

    async def acreate_transcription(self: Any, file: Any, model: str, **options: Any) -> Transcription:
        """`create_transcription` from an event loop, which it never blocks."""
        await self.asettings()
        result: Transcription = await asyncio.to_thread(
            functools.partial(self.create_transcription, file, model, **options)
        )
        return result

    async def acreate_translation(self: Any, file: Any, model: str, **options: Any) -> Translation:
        """`create_translation` from an event loop, which it never blocks."""
        await self.asettings()
        result: Translation = await asyncio.to_thread(
            functools.partial(self.create_translation, file, model, **options)
        )
        return result


@contextlib.contextmanager
def _opened(mask: Any) -> Iterator[OpenedSource | None]:
    if mask is None:
        yield None
        return
    with open_source(mask, _name(mask, None, "mask.png")) as opened:
        yield opened


def _name(source: Any, given: str | None, default: str | None = None, request: str = "") -> str | None:
    """The file name to send: `given`, else a path's or a named file object's own, else `default`.
    The API tells audio's format by its name's extension, so audio without one is refused here."""
    if given or isinstance(source, str | os.PathLike) or is_object_storage(source):
        return given
    own = getattr(source, "name", None)
    if isinstance(own, str) and own:
        return os.path.basename(own)
    if default is None:
        raise InvalidRequestError(
            request,
            "file",
            "a file object without a name: give filename= (e.g. 'talk.wav'), whose extension tells the "
            "API the audio's format",
        )
    return default
