"""Answers streamed into a destination: a local path, an object storage URI or `ObjectStoragePath`,
or a binary file object. One routine for file downloads and for speech."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from typing import IO, Any

from airflow_openai.client.calls import ApiCall
from airflow_openai.client.exchange import DOWNLOAD_CHUNK
from airflow_openai.client.sink import rewindable
from airflow_openai.client.transport import SyncTransport
from airflow_openai.hooks.off_loop import stoppable
from airflow_openai.storage import open_binary, removed_on_failure

PathOrFile = str | os.PathLike[str] | IO[bytes]


def stream_to(
    transport: SyncTransport,
    call: ApiCall[Any],
    destination: Any,
    expected: int | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Stream the answer of `call` into `destination` in constant memory (missing folders are
    created) and return the byte count; setting `stop` ends it with `DownloadStopped`.

    A path left by a failure is removed, so nothing short stands where a whole file is expected. A
    destination that cannot be wound back for another try (an object storage writer, a pipe)
    gets the bytes only once they are all in a local spool.
    """
    with removed_on_failure(destination), open_binary(destination, "wb", make_local_parents=True) as sink:
        if rewindable(sink):
            return transport.download(call, stoppable(sink, stop), expected)
        with tempfile.TemporaryFile(prefix="openai-download-") as spool:
            size = transport.download(call, stoppable(spool, stop), expected)
            spool.seek(0)
            shutil.copyfileobj(spool, stoppable(sink, stop), DOWNLOAD_CHUNK)
            return size
