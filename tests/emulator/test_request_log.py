"""The emulator counts the API requests it receives, so tests can count a job's calls from outside it."""

from __future__ import annotations

import io

import httpx


def test_requests_are_counted_per_method_and_path_until_reset(hook, emu):
    uploaded = hook.create_file(io.BytesIO(b"hello"), purpose="assistants", filename="a.txt")
    hook.download_file(uploaded.id, io.BytesIO())
    hook.download_file(uploaded.id, io.BytesIO())
    httpx.get(f"{emu.base_url}/models")  # refused without a key, but received all the same

    assert emu.requests(f"/v1/files/{uploaded.id}/content", method="GET") == 2
    assert emu.requests("/v1/files/*/content") == 2
    assert emu.requests("/v1/files", method="POST") == 1
    assert emu.requests("/v1/files/*/content", method="POST") == 0
    assert emu.requests("/v1/models") == 1
    assert emu.requests("/_emulator/*") == 0, "the control plane is not counted"

    emu.reset()
    assert emu.requests() == 0
