"""One OpenAI access token per connection per process, exchanged for a subject token and kept fresh.

`TokenSource.token()` (blocking) and `await TokenSource.atoken()` answer the cached token while
it is fresh. A token is refreshed `refresh_buffer_seconds` before it expires, with the buffer
capped at half the token's lifetime, as the openai SDK does: a 60 s token from an emulator
(or a short-lived real one) is refreshed after 30 s instead of at once and forever.

One refresh at a time, whoever asks: a `threading.Lock` guards the refresh, so threads of a
worker and the event loops of a triggerer share it. An event loop never does the I/O itself:
its callers await one worker thread per loop (reading a token file or a metadata server blocks).
While a refresh is under way, callers holding a token still valid carry on with it.

`invalidate(token)` is the 401 path: it drops the token only if it is still the current one, so
fifty requests refused with the same token cause one refresh, not fifty.

The exchange is the SDK's: a JSON POST to `token_exchange_url` with `grant_type` (token
exchange), `subject_token`, `subject_token_type`, `identity_provider_id` and
`service_account_id`; the answer holds `access_token` and `expires_in`. Neither token is ever
logged, put in an error, nor shown by `repr`; a token source cannot be pickled.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, NoReturn

import httpx

from airflow_openai.client.errors import WorkloadIdentityError
from airflow_openai.client.identity.settings import WorkloadIdentitySettings
from airflow_openai.client.identity.subject_tokens import SubjectTokenProvider, provider_for

log = logging.getLogger(__name__)

TOKEN_EXCHANGE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
RETRY_AFTER_FAILED_REFRESH = 30.0
"""While the token in hand is still valid, a failed refresh is tried again after this long at most."""


class TokenSource:
    """The access token of one workload identity, fetched on first use, cached and refreshed."""

    def __init__(
        self,
        settings: WorkloadIdentitySettings,
        *,
        subject_tokens: SubjectTokenProvider | None = None,
        http_client: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._subject_tokens = subject_tokens
        self._client = http_client
        self._clock = clock
        self._state = threading.Lock()  # held for reads and writes of the fields below, never for I/O
        self._refreshing = threading.Lock()  # held by the one thread that refreshes
        self._token: str | None = None
        self._expires_at = 0.0
        self._refresh_at = 0.0
        self._pending: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Future[str]] = (
            weakref.WeakKeyDictionary()
        )
        self.exchanges = 0
        """How many exchanges this source made (a count, for logs and tests)."""
        self._listeners: list[Callable[[str], object]] = []

    def token(self) -> str:
        """The access token, exchanging a new one first when needed; blocks (never call on a loop)."""
        current, fresh = self._cached()
        if fresh:
            return current  # type: ignore[return-value]
        if current is not None:  # still valid: refresh unless another thread is at it
            if not self._refreshing.acquire(blocking=False):
                return current
        else:
            self._refreshing.acquire()
        try:
            current, fresh = self._cached()  # another thread may have refreshed while this one waited
            if fresh:
                return current  # type: ignore[return-value]
            return self._refresh(current)
        finally:
            self._refreshing.release()

    async def atoken(self) -> str:
        """The access token; the exchange (and the subject token's I/O) runs in a worker thread.

        The callers of one event loop share one thread; a cancelled caller leaves it running
        for the others, and the token it gets is cached.
        """
        current, fresh = self._cached()
        if fresh:
            return current  # type: ignore[return-value]
        loop = asyncio.get_running_loop()
        with self._state:  # the map is shared by every loop's thread; nothing blocks under the lock
            pending = self._pending.get(loop)
            if pending is None or pending.done():
                pending = asyncio.ensure_future(asyncio.to_thread(self.token))
                pending.add_done_callback(_retrieve)
                self._pending[loop] = pending
        return await asyncio.shield(pending)

    def on_new_token(self, listener: Callable[[str], object]) -> None:
        """Call `listener` with every access token this source gets, the current one included.

        The hook registers Airflow's secret masker here. A listener added twice is called once;
        it runs in the thread that exchanged the token (a worker thread for `atoken`), and its
        failure is logged, never raised.
        """
        with self._state:
            if listener in self._listeners:
                return
            self._listeners.append(listener)
            current = self._token
        if current is not None:
            self._tell(listener, current)

    def _tell(self, listener: Callable[[str], object], token: str) -> None:
        try:
            listener(token)
        except Exception:
            log.warning(
                "Connection %r: a listener for new OpenAI access tokens failed",
                self.settings.source,
                exc_info=True,
            )

    def invalidate(self, token: str) -> bool:
        """Drop `token` if it is still the current one (an answer 401 refused it); True if dropped."""
        with self._state:
            if self._token is None or self._token != token:
                return False
            self._token = None
            self._expires_at = self._refresh_at = 0.0
        log.info(
            "Connection %r: the OpenAI access token was refused; a new one will be exchanged",
            self.settings.source,
        )
        return True

    def close(self) -> None:
        """Close the HTTP clients (the exchange's and a metadata server's); the cache is dropped."""
        with self._state:
            self._token = None
            client, self._client = self._client, None
            provider, self._subject_tokens = self._subject_tokens, None
        if client is not None:
            client.close()
        close = getattr(provider, "close", None)
        if callable(close):
            close()

    def _cached(self) -> tuple[str | None, bool]:
        """The token still valid (or None), and whether it is fresh (not yet due for refresh)."""
        now = self._clock()
        with self._state:
            if self._token is None or now >= self._expires_at:
                return None, False
            return self._token, now < self._refresh_at

    def _refresh(self, current: str | None) -> str:
        try:
            token, lifetime, started = self._exchange()
        except WorkloadIdentityError:
            if current is None:
                raise
            with self._state:  # keep using the valid token; try again soon, not at every call
                now = self._clock()
                self._refresh_at = min(
                    self._expires_at, now + min(RETRY_AFTER_FAILED_REFRESH, (self._expires_at - now) / 2)
                )
            log.warning(
                "Connection %r: refreshing the OpenAI access token failed; the current one "
                "is still valid and is used meanwhile",
                self.settings.source,
                exc_info=True,
            )
            return current
        buffer = min(self.settings.refresh_buffer_seconds, lifetime / 2)
        with self._state:
            self._token = token
            self._expires_at = started + lifetime
            self._refresh_at = started + lifetime - buffer
            self.exchanges += 1
            listeners = list(self._listeners)
        for listener in listeners:  # before the token is handed to anyone: masked before it can be logged
            self._tell(listener, token)
        log.info(
            "Connection %r: exchanged a %s subject token for an OpenAI access token, valid %.0f s "
            "(refreshed after %.0f s)",
            self.settings.source,
            self.settings.provider,
            lifetime,
            lifetime - buffer,
        )
        return token

    def _exchange(self) -> tuple[str, float, float]:
        """POST the subject token; the access token, its lifetime, and when the exchange began."""
        s = self.settings
        if self._subject_tokens is None:
            self._subject_tokens = provider_for(s)
        if self._client is None:
            # Proxies and CA bundles come from the environment, as for every other request.
            self._client = httpx.Client(follow_redirects=False, timeout=httpx.Timeout(s.timeout))
        subject = self._subject_tokens()
        started = self._clock()
        body = {
            "grant_type": TOKEN_EXCHANGE_GRANT_TYPE,
            "subject_token": subject.value,
            "subject_token_type": subject.token_type,
            "identity_provider_id": s.identity_provider_id,
            "service_account_id": s.service_account_id,
        }
        try:
            response = self._client.post(
                s.token_exchange_url, json=body, headers={"Accept": "application/json"}
            )
        except httpx.HTTPError as error:
            self._fail(f"could not be reached ({type(error).__name__})", transient=True)
        return self._read_answer(response, subject.value) + (started,)

    def _read_answer(self, response: httpx.Response, subject_token: str) -> tuple[str, float]:
        try:
            body: Any = response.json() if response.content else None
        except ValueError:
            body = None
        if response.is_error or response.is_redirect:
            status = response.status_code
            reason = ""
            if isinstance(body, dict) and isinstance(body.get("error"), str):
                description = body.get("error_description")
                reason = f": {body['error'][:100]}" + (
                    f" ({description[:200]})" if isinstance(description, str) else ""
                )
            reason = reason.replace(subject_token, "***")  # a server echoing what it refused
            request_id = response.headers.get("x-request-id")
            self._fail(
                f"refused the subject token: HTTP {status}{reason}"
                + (f" (request id {request_id})" if request_id else ""),
                transient=status in (408, 429) or status >= 500,
            )
        if not isinstance(body, dict):
            self._fail(f"answered HTTP {response.status_code} without a JSON object")
        access_token, expires_in = body.get("access_token"), body.get("expires_in")
        if not isinstance(access_token, str) or not access_token:
            self._fail("answered without an access_token")
        if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)) or not expires_in > 0:
            self._fail("answered without a positive expires_in")
        return access_token, float(expires_in)

    def _fail(self, what: str, *, transient: bool = False) -> NoReturn:
        raise WorkloadIdentityError(
            f"Connection {self.settings.source!r}: the token exchange at {self.settings.token_exchange_url} {what}",
            source=self.settings.source,
            transient=transient,
        )

    def __repr__(self) -> str:
        current, fresh = self._cached()
        state = "empty" if current is None else ("fresh" if fresh else "due for refresh")
        return f"TokenSource(source={self.settings.source!r}, provider={self.settings.provider!r}, {state})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a TokenSource holds an access token and is never serialized; pass the connection id")


def _retrieve(future: asyncio.Future[str]) -> None:
    """Read a shared refresh's failure, so that it is not reported as never retrieved."""
    if not future.cancelled():
        future.exception()


_sources: dict[str, TokenSource] = {}
_sources_lock = threading.Lock()


def token_source_for(settings: WorkloadIdentitySettings) -> TokenSource:
    """The process's one token source for these settings (one connection: one source)."""
    key = settings.fingerprint
    with _sources_lock:
        source = _sources.get(key)
        if source is None:
            source = _sources[key] = TokenSource(settings)
        return source


def clear_token_sources() -> None:
    """Forget (and close) every token source of the process: for tests, and after a fork."""
    with _sources_lock:
        sources = list(_sources.values())
        _sources.clear()
    for source in sources:
        source.close()


def _after_fork_in_child() -> None:
    # A forked child must not share the parent's connections, nor inherit a lock held mid-refresh.
    global _sources_lock
    _sources_lock = threading.Lock()
    _sources.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
