"""One `httpx.AsyncClient` per event loop, shared by every async transport running in it.

A triggerer runs hundreds of triggers in one loop. Separate clients could not share
connections, and a client cannot cross loops (its connections belong to the loop that made
them). So each loop gets one client, whatever settings its hooks use (each request carries
its own URL, credentials and timeout), made when the first transport of the loop needs it
and closed when the last one lets go. Both ends are held weakly: the loop (its client's
connections refer to it, so a strong entry would keep every loop that ever ran alive) and
the shared client, which its transports hold; a loop that ends without closing its
transports leaves nothing behind once they are dropped.

The client is stock httpx, built with no transport of its own, so that it honours the
proxies of the environment as the worker's blocking client does; its pool keeps httpx's
default limits (100 connections, 20 kept alive). For a burst of 1,000 polls those measured
fastest: keeping 50 or 100 alive made httpcore walk and probe them all on every request
(1.2 ms of CPU per poll became 7-12 ms), and 20 in flight halved the polls' pace for no
CPU saved.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass

import httpx

from airflow_openai.client.exchange import client_options

IN_FLIGHT = 100
"""Requests sent at once per loop: httpx's default connection limit. More wait on a semaphore,
which costs the same however many wait, rather than in httpx's pool, whose queue is walked
each time a connection frees up (1,000 polls sent at once through one stock client took
15-20 times as long, and as much more CPU)."""


@dataclass
class SharedClient:
    """A loop's client, the semaphore that bounds its requests in flight, and how many use it."""

    client: httpx.AsyncClient
    in_flight: asyncio.Semaphore
    users: int = 0


class LoopClients:
    """The shared client of each running event loop."""

    def __init__(self) -> None:
        self._by_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, weakref.ReferenceType[SharedClient]
        ] = weakref.WeakKeyDictionary()

    def acquire(self) -> SharedClient:
        """The running loop's client, made if it has none; give it back with `release`."""
        loop = asyncio.get_running_loop()
        shared = self._shared(loop)
        if shared is None or shared.client.is_closed:
            shared = SharedClient(httpx.AsyncClient(**client_options()), asyncio.Semaphore(IN_FLIGHT))
            self._by_loop[loop] = weakref.ref(shared)
        shared.users += 1
        return shared

    async def release(self, shared: SharedClient) -> None:
        """One user less; the last one closes the client."""
        shared.users -= 1
        if shared.users > 0:
            return
        loop = asyncio.get_running_loop()
        if self._shared(loop) is shared:
            del self._by_loop[loop]
        await shared.client.aclose()

    def _shared(self, loop: asyncio.AbstractEventLoop) -> SharedClient | None:
        held = self._by_loop.get(loop)
        return None if held is None else held()

    def of(self, loop: asyncio.AbstractEventLoop) -> httpx.AsyncClient | None:
        """The client `loop` shares now, if any (for tests and benchmarks)."""
        shared = self._shared(loop)
        return None if shared is None else shared.client

    def __len__(self) -> int:
        """Loops with a shared client in use."""
        return sum(1 for held in self._by_loop.values() if held() is not None)


loop_clients = LoopClients()
