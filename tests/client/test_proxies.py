"""Proxies from the environment are honoured by the blocking and the async client alike.

A triggerer behind a corporate proxy must reach the API the way the worker does: through
HTTPS_PROXY / HTTP_PROXY, except for the hosts NO_PROXY names. httpx bypasses no host by
itself (not even 127.0.0.1), so with the proxy set every request to the loopback emulator
goes through the recording proxy, and with NO_PROXY naming it none does.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.support.clients import hook_for
from tests.support.recording_proxy import RecordingProxy

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def proxy(monkeypatch):
    """A recording proxy, named by HTTP_PROXY and HTTPS_PROXY (and no other proxy variable)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    with RecordingProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        yield proxy


def _sync_then_async_calls(emu) -> tuple[str, str]:
    """One blocking call (a file list) and one from an event loop (a model list); the paths of each."""
    hook = hook_for(emu.base_url, api_key=emu.api_key)
    with hook:
        assert list(hook.list_files()) == []

    async def from_a_loop() -> None:
        async with hook:
            assert [model.id async for model in hook.alist_models()]

    asyncio.run(from_a_loop())
    return "/v1/files", "/v1/models"


def test_the_sync_and_the_async_hook_go_through_the_environments_proxy(emu, proxy):
    sync_path, async_path = _sync_then_async_calls(emu)

    assert sync_path in proxy.paths(), "the blocking client ignored HTTP_PROXY"
    assert async_path in proxy.paths(), "the async client ignored HTTP_PROXY"
    assert all(url.startswith(emu.base_url) for _, url in proxy.seen)


def test_no_proxy_sends_both_straight_to_the_host(emu, proxy, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")

    _sync_then_async_calls(emu)

    assert proxy.seen == [], "NO_PROXY names the emulator's host: nothing goes through the proxy"
