"""`OpenAIHook`: credentials from an Airflow connection, and one method per OpenAI API call."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import Any, TypeVar

from airflow.sdk import BaseHook

from airflow_openai.client.calls import ApiCall
from airflow_openai.client.exchange import tls_context, tls_context_ready
from airflow_openai.client.identity import TokenSource
from airflow_openai.client.policy import RetryPolicy
from airflow_openai.client.rate_limits import LatestRateLimits, RateLimits
from airflow_openai.client.settings import ClientSettings
from airflow_openai.client.sse import AsyncChunkStream, ChunkStream
from airflow_openai.client.transport import AsyncTransport, SyncTransport
from airflow_openai.hooks.api_methods import (
    BatchesAPI,
    FilesAPI,
    FineTuningAPI,
    InferenceAPI,
    ModelsAPI,
    OrganizationAPI,
    RunsAPI,
    VectorStoresAPI,
)
from airflow_openai.hooks.connection import settings_from_connection
from airflow_openai.hooks.file_transfers import FileTransfersMixin
from airflow_openai.hooks.inference_files import InferenceFilesMixin
from airflow_openai.hooks.waits import WaitsMixin
from airflow_openai.provider import CONN_TYPE

T = TypeVar("T")

SETTINGS_TTL = 60.0
_recent_settings: dict[str, tuple[float, ClientSettings]] = {}
_settings_lookups: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[str, asyncio.Future[ClientSettings]]
] = weakref.WeakKeyDictionary()
"""Event loop → connection id → the lookup under way on it (a finished loop leaves nothing behind)."""
_masked_sources: weakref.WeakSet[TokenSource] = weakref.WeakSet()
"""Token sources whose access tokens are registered with the secret masker (`_mask_access_tokens`)."""


class OpenAIHook(
    InferenceAPI,
    InferenceFilesMixin,
    FileTransfersMixin,
    FilesAPI,
    BatchesAPI,
    FineTuningAPI,
    ModelsAPI,
    VectorStoresAPI,
    RunsAPI,
    WaitsMixin,
    OrganizationAPI,
    BaseHook,
):
    """Talk to the OpenAI platform API with the credentials of an Airflow connection.

    The connection's password is the API key and its host the base URL (default
    ``https://api.openai.com/v1``); extras hold ``organization``, ``project``,
    ``admin_api_key`` (used only for ``/organization/*``), ``timeout`` and
    ``max_retries``. Empty fields fall back to ``OPENAI_API_KEY``, ``OPENAI_ADMIN_KEY``,
    ``OPENAI_ORG_ID``, ``OPENAI_PROJECT_ID`` and ``OPENAI_BASE_URL``. With extra
    ``auth_type: workload_identity`` there is no API key: calls carry an access token exchanged
    for the workload's identity (``airflow_openai.client.identity``), registered with the secret
    masker as it arrives; admin calls keep ``admin_api_key``.

    Building the hook does no I/O: the connection is read and the HTTP clients are
    built on the first call, and closed by :meth:`close` / :meth:`aclose` (or ``with``).

    :param openai_conn_id: the Airflow connection to use.
    :param settings: explicit settings, bypassing the connection (tests, scripts).
    :param retry_policy: override the retry timing (and, unless `max_retries` is given, the attempts).
    :param max_retries: HTTP retries of this hook's calls, sync and async, instead of the
        connection's: 0 for status polls whose retrying the wait engine's outage budget does.
    """

    conn_name_attr = "openai_conn_id"
    default_conn_name = "openai_default"
    conn_type = CONN_TYPE
    hook_name = "OpenAI Platform"

    def __init__(
        self,
        openai_conn_id: str = default_conn_name,
        *,
        settings: ClientSettings | None = None,
        retry_policy: RetryPolicy | None = None,
        max_retries: int | None = None,
    ) -> None:
        super().__init__()
        self.openai_conn_id = openai_conn_id
        self._settings = settings
        self._retry_policy = retry_policy
        self._max_retries = max_retries
        self._sync: SyncTransport | None = None
        self._sync_made = threading.Lock()
        self._async: dict[asyncio.AbstractEventLoop, AsyncTransport] = {}
        self._rate_limits = LatestRateLimits()

    @property
    def rate_limits(self) -> RateLimits | None:
        """The `x-ratelimit-*` limits of the latest answer that carried them (inference answers, and
        a 429's), from this hook's sync or async calls; None before any."""
        return self._rate_limits.latest

    # -- credentials -------------------------------------------------------------------------------

    @property
    def settings(self) -> ClientSettings:
        """The resolved credentials and endpoint (reads the connection on first use)."""
        if self._settings is None:
            self._settings = self._remember(
                settings_from_connection(self._find_connection(), self.openai_conn_id)
            )
        return self._settings

    async def asettings(self) -> ClientSettings:
        """Like :attr:`settings`, reading the connection without blocking the event loop.

        In a triggerer, hundreds of triggers share a connection: it is read once and then
        reused for `SETTINGS_TTL` seconds by every hook of the process.
        """
        if self._settings is None:
            cached = _recent_settings.get(self.openai_conn_id)
            if cached is not None and time.monotonic() - cached[0] < SETTINGS_TTL:
                self._settings = cached[1]
            else:
                # Triggers that start together wait for one lookup instead of each making their own.
                under_way = _settings_lookups.setdefault(asyncio.get_running_loop(), {})
                key = self.openai_conn_id
                lookup = under_way.get(key)
                if lookup is None:
                    lookup = under_way[key] = asyncio.ensure_future(self._alookup())
                    lookup.add_done_callback(lambda _: under_way.pop(key, None))
                self._settings = await asyncio.shield(lookup)
        return self._settings

    async def _alookup(self) -> ClientSettings:
        conn = await self._afind_connection()
        extra = await _aextra(conn)
        settings = await self._aremember(settings_from_connection(conn, self.openai_conn_id, extra=extra))
        _recent_settings[self.openai_conn_id] = (time.monotonic(), settings)
        return settings

    def _find_connection(self) -> Any | None:
        from airflow.sdk.exceptions import AirflowNotFoundException

        try:
            return self.get_connection(self.openai_conn_id)
        except AirflowNotFoundException:
            self._connection_missing()
            return None

    async def _afind_connection(self) -> Any | None:
        from airflow.sdk.exceptions import AirflowNotFoundException

        try:
            return await self.aget_connection(self.openai_conn_id)
        except AirflowNotFoundException:
            self._connection_missing()
            return None

    def _connection_missing(self) -> None:
        """Not defined: the OPENAI_* environment alone may configure the hook."""
        self.log.info(
            "Connection %r is not defined; using OPENAI_* environment variables", self.openai_conn_id
        )

    @staticmethod
    def _remember(settings: ClientSettings) -> ClientSettings:
        """Register the keys with Airflow's secret masker, whatever source they came from."""
        from airflow.sdk.log import mask_secret

        for key in (settings.api_key, settings.admin_api_key):
            if key:
                mask_secret(key)
        return settings

    @staticmethod
    async def _aremember(settings: ClientSettings) -> ClientSettings:
        """`_remember` from an event loop: a triggerer's supervisor is told without a blocking send."""
        from airflow.sdk.log import amask_secret

        for key in (settings.api_key, settings.admin_api_key):
            if key:
                await amask_secret(key)
        return settings

    # -- running calls ------------------------------------------------------------------------------

    def _policy(self, settings: ClientSettings) -> RetryPolicy:
        policy = self._retry_policy or RetryPolicy(max_retries=settings.max_retries)
        if self._max_retries is None:
            return policy
        return dataclasses.replace(policy, max_retries=self._max_retries)

    @property
    def transport(self) -> SyncTransport:
        """The sync transport, one per hook even when threads (parallel uploads) ask at once."""
        if self._sync is None:
            with self._sync_made:
                if self._sync is None:
                    settings = self.settings
                    policy = self._policy(settings)
                    transport = SyncTransport(settings, policy=policy, rate_limits=self._rate_limits)
                    _mask_access_tokens(transport.token_source)
                    self._sync = transport
        return self._sync

    async def atransport(self) -> AsyncTransport:
        """The async transport of the running event loop (an httpx client cannot cross loops)."""
        loop = asyncio.get_running_loop()
        transport = self._async.get(loop)
        if transport is None:
            settings = await self.asettings()
            if not tls_context_ready():  # read the CA bundle off the loop, once per process
                await asyncio.to_thread(tls_context)
            transport = AsyncTransport(settings, policy=self._policy(settings), rate_limits=self._rate_limits)
            if transport.token_source is not None and transport.token_source not in _masked_sources:
                # Masking a token already in hand tells the supervisor with a blocking send: off the loop.
                await asyncio.to_thread(_mask_access_tokens, transport.token_source)
            self._async[loop] = transport
        return transport

    def run_call(self, call: ApiCall[T]) -> T | Iterator[T]:
        """Execute a call: its model, an iterator over every page of a list, or a streamed answer's chunks."""
        if call.paginated:
            return self.transport.paginate(call)
        if call.streamed:
            return ChunkStream(self.transport.stream(call))
        return self.transport.request(call)

    def arun_call(self, call: ApiCall[T]) -> Any:
        """Execute a call asynchronously: an awaitable model, or an async iterator over a list or a stream."""
        if call.paginated:
            return self._apaginate(call)
        if call.streamed:
            return AsyncChunkStream(self._astream(call))
        return self._arequest(call)

    async def _arequest(self, call: ApiCall[T]) -> T:
        return await (await self.atransport()).request(call)

    async def _apaginate(self, call: ApiCall[T]) -> AsyncIterator[T]:
        async for item in (await self.atransport()).paginate(call):
            yield item

    async def _astream(self, call: ApiCall[T]) -> AsyncGenerator[T, None]:
        chunks = (await self.atransport()).stream(call)
        try:
            async for chunk in chunks:
                yield chunk
        finally:
            await chunks.aclose()  # closes the response now, not when the generator is collected

    # -- lifecycle -----------------------------------------------------------------------------------

    def test_connection(self) -> tuple[bool, str]:
        """Check the key (or workload identity) and endpoint by listing models (the Airflow UI's "Test" button)."""
        try:
            count = sum(1 for _ in self.list_models())
        except Exception as exc:
            return False, str(exc)
        identity = self.settings.workload_identity
        by = f" by workload identity ({identity.provider})" if identity is not None else ""
        return True, f"Connected to {self.settings.base_url}{by}: {count} models available"

    def get_conn(self) -> SyncTransport:
        return self.transport

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        transport = self._async.pop(loop, None)
        if transport is not None:
            await transport.aclose()
        if self._sync is not None:  # made in a worker thread by aupload_file / adownload_file
            await asyncio.to_thread(self.close)

    def __enter__(self) -> OpenAIHook:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> OpenAIHook:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _mask_access_tokens(source: TokenSource | None) -> None:
    """Register every access token of `source` with Airflow's secret masker, before it is used.

    The masker is told in the thread that exchanged the token (a worker thread under
    `atoken`), so a triggerer's event loop never waits on the supervisor.
    """
    if source is None or source in _masked_sources:
        return
    source.on_new_token(_mask_secret)
    _masked_sources.add(source)


def _mask_secret(token: str) -> None:
    from airflow.sdk.log import mask_secret

    mask_secret(token)


async def _aextra(conn: Any | None) -> dict[str, Any]:
    """The connection's extras, registered with the secret masker the async way where the SDK can."""
    if conn is None:
        return {}
    aextra = getattr(conn, "aextra_dejson", None)
    return dict(await aextra()) if aextra is not None else dict(conn.extra_dejson)
