"""A source that fails to read half-way ends its own upload, not the others sharing its part buffers.

Uploads running side by side take turns with one `PartBuffers`. An upload that stops
because its disk failed must give back every buffer it took, or the next upload waits
for one forever.
"""

from __future__ import annotations

import errno
import io
import threading

import pytest

from airflow_openai.transfers.part_buffers import PartBuffers
from airflow_openai.transfers.uploader import UploadSettings

MB = 1024 * 1024
SETTINGS = UploadSettings(part_size=5 * MB, concurrency=1, threshold=5 * MB)


class FailingDisk(io.FileIO):
    """A file whose reads go wrong after `good` bytes: an I/O error, or an end `size` did not foretell."""

    def __init__(self, path, good: int, fails_with_error: bool) -> None:
        super().__init__(path, "rb")
        self._left = good
        self._fails_with_error = fails_with_error

    def readinto(self, view) -> int:
        if self._left <= 0:
            if self._fails_with_error:
                raise OSError(errno.EIO, "Input/output error")
            return 0
        count = super().readinto(memoryview(view)[: self._left])
        self._left -= count
        return count


def _in_thread(work) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)  # a hang must fail the test, not the session
    thread.start()
    return thread, outcome


@pytest.mark.parametrize("fails_with_error", [True, False], ids=["read error", "ends early"])
def test_an_upload_whose_source_fails_gives_its_buffers_back(emu, emu_hook, tmp_path, fails_with_error):
    size = 12 * MB
    (tmp_path / "broken.bin").write_bytes(b"a" * size)
    (tmp_path / "fine.bin").write_bytes(b"b" * size)
    buffers = PartBuffers(1, SETTINGS.part_size)  # one buffer: a leaked one stops everything

    with FailingDisk(tmp_path / "broken.bin", good=6 * MB, fails_with_error=fails_with_error) as broken:
        first, first_outcome = _in_thread(
            lambda: emu_hook.upload_file(broken, "assistants", settings=SETTINGS, buffers=buffers)
        )
        first.join(60)
    second, second_outcome = _in_thread(
        lambda: emu_hook.upload_file(tmp_path / "fine.bin", "assistants", settings=SETTINGS, buffers=buffers)
    )
    second.join(60)

    assert not first.is_alive() and isinstance(first_outcome.get("error"), OSError)
    assert not second.is_alive(), "the second upload is waiting for a buffer the failed one kept"
    assert second_outcome.get("result") is not None and second_outcome["result"].bytes == size
    statuses = sorted(upload["status"] for upload in emu.state.store.all("upload"))
    assert statuses == ["cancelled", "completed"], "the failed upload is cancelled, the other completes"
