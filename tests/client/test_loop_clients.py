"""The async client: one stock httpx client per event loop, shared by every hook in it, each
request carrying its own URL, credentials and timeout."""

from __future__ import annotations

import asyncio
import gc
import time
import weakref

import httpx
import pytest

from airflow_openai.client import APITimeoutError
from airflow_openai.client.exchange import request_url
from airflow_openai.client.loop_clients import loop_clients
from tests.support.batches import BATCH_OBJECT
from tests.support.clients import hook_for
from tests.support.scripted_server import Reply

BATCH = BATCH_OBJECT


def test_hooks_of_one_loop_share_one_client_whatever_their_settings(server):
    server.handle("GET", "/v1/batches/batch_abc", lambda seen: Reply(200, BATCH))

    async def scenario() -> None:
        hooks = [hook_for(server.base_url), hook_for(server.base_url, timeout=5.0, project="proj_other")]
        transports = [await hook.atransport() for hook in hooks]
        shared = loop_clients.of(asyncio.get_running_loop())
        assert shared is not None and all(t._client is shared for t in transports)
        await asyncio.gather(*(hook.aget_batch("batch_abc") for hook in hooks))
        await hooks[0].aclose()
        assert not shared.is_closed, "still used by the other hook"
        await hooks[1].aclose()
        assert shared.is_closed and loop_clients.of(asyncio.get_running_loop()) is None

    asyncio.run(scenario())
    projects = [seen.headers.get("openai-project") for seen in server.requests_to("/v1/batches/batch_abc")]
    assert sorted(projects) == ["proj_other", "proj_test"], "each request carries its own hook's headers"


@pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnraisableExceptionWarning"
)  # the unclosed sockets, on purpose
def test_each_loop_has_its_own_client_and_a_finished_loop_leaves_none_behind(server):
    server.handle("GET", "/v1/batches/batch_abc", lambda seen: Reply(200, BATCH))
    clients: list[int] = []
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def poll_and_leave_open() -> None:  # the hook is never closed: the loop just ends
        hook = hook_for(server.base_url)
        await hook.aget_batch("batch_abc")
        client = loop_clients.of(asyncio.get_running_loop())
        assert client is not None
        clients.append(id(client))
        loops.append(weakref.ref(asyncio.get_running_loop()))

    before = len(loop_clients)
    asyncio.run(poll_and_leave_open())
    asyncio.run(poll_and_leave_open())
    gc.collect()
    assert len(set(clients)) == 2
    assert len(loop_clients) == before and all(loop() is None for loop in loops), (
        "a finished loop and its client are not kept alive by the registry"
    )


def test_each_request_has_its_own_hooks_timeout(server):
    def slow(seen):
        time.sleep(0.5)
        return Reply(200, BATCH)

    server.handle("GET", "/v1/batches/slow", slow)

    async def scenario() -> None:
        patient, hasty = hook_for(server.base_url), hook_for(server.base_url, max_retries=0, timeout=0.2)
        async with patient, hasty:
            assert (await patient.aget_batch("slow")).id == "batch_abc"
            with pytest.raises(APITimeoutError):
                await hasty.aget_batch("slow")

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "base", ["https://api.openai.com/v1", "http://127.0.0.1:8089/v1", "https://gateway.example/openai/v1/"]
)
def test_prebuilt_urls_are_the_ones_httpx_would_merge(base):
    client = httpx.Client(base_url=base.rstrip("/") + "/")
    for path in ("/batches", "/batches/batch_abc", "/files/a%2Fb%20c%3Fd%23e/content", "/organization/users"):
        merged = client.build_request("GET", path.lstrip("/"), params={"limit": 5}).url
        prebuilt = client.build_request(
            "GET", request_url(str(client.base_url), path), params={"limit": 5}
        ).url
        assert prebuilt == merged and prebuilt.raw_path == merged.raw_path
