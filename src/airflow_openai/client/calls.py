"""API calls as plain data: what to send and how to read the answer.

Each hook method builds one `ApiCall`; the sync and async transports both execute
it, so a call is described exactly once whatever the I/O style.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Generic, TypeVar
from urllib.parse import quote

from airflow_openai.client.bodies import Window
from airflow_openai.client.text import path_segment

T = TypeVar("T")

ADMIN_PREFIX = "/organization"


IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
CLOCK_SKEW = 120.0
"""Seconds an object's server-side `created_at` may lag the client's clock at sending and still
count as made by this call when a lost answer is reconciled."""
RECONCILE_SCAN = 200
"""How many of the newest objects a reconciliation looks through before concluding none is ours."""


def segment(value: str) -> str:
    """Quote an id as exactly one path segment, refusing, before any request, ids that would
    steer the path elsewhere: empty, `.` or `..` (a `/` is percent-encoded, never a separator)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"an id is required in the request path, got {value!r}")
    if value.strip() in (".", ".."):
        raise ValueError(f"{value!r} is not an id: it would change the request path")
    path_segment(value)  # not UTF-8 text: an `UnencodableTextError`, not quote's UnicodeEncodeError
    return quote(value, safe="")


@dataclass(frozen=True)
class MultipartFile:
    """A file part of a multipart body, sent straight from its file object in chunks.

    Each attempt sends from `start` (where the stream stood when the call was built): the body
    goes out through a `Window` that httpx seeks to its offset 0 before reading.
    """

    filename: str
    content: IO[bytes]
    content_type: str = "application/octet-stream"
    start: int | None = field(default=None, compare=False)

    @classmethod
    def of(
        cls, filename: str, content: IO[bytes], content_type: str = "application/octet-stream"
    ) -> MultipartFile:
        start = content.tell() if _seekable(content) else None
        return cls(filename, content, content_type, start)


@dataclass(frozen=True)
class Reconcile(Generic[T]):
    """How to find what a create made when its answer was lost, instead of making a second one.

    `lookup` is a read (usually a list, newest first); the first of its items, among the
    newest `RECONCILE_SCAN` and made no earlier than the create was sent (less `CLOCK_SKEW`;
    `made_at` names the object's timestamp field), for which `matches` holds is taken as the
    create's own object, and `answer` turns it into what the create would have returned.
    An item without that timestamp is never taken: nothing would tell it from an old one.
    """

    lookup: ApiCall[Any]
    matches: Callable[[Any], bool]
    answer: Callable[[Any], T] = field(default=lambda item: item)
    what: str = "the object"
    made_at: str = "created_at"

    def pick(self, item: Any, sent_at: float) -> T | None:
        made = getattr(item, self.made_at, None)
        if not isinstance(made, int | float) or made < sent_at - CLOCK_SKEW:
            return None
        return self.answer(item) if self.matches(item) else None


@dataclass(frozen=True)
class ApiCall(Generic[T]):
    """One request to the OpenAI API and the parser of its JSON answer.

    With `paginated`, `parse` reads one element of the list's `data`, and the
    transports follow the cursor (`after` / `has_more`, and `last_id` where given). With
    `streamed`, the answer is a stream of server-sent events and `parse` reads each one's
    JSON; with `text`, the answer is plain text, handed to `parse` as a `str`.

    What may happen when the answer is lost (the request was sent, then the connection
    dropped, timed out or a 5xx came back) is decided here, per call: reads and deletes
    are idempotent and simply repeated; a create is `repeatable` when a second copy costs
    nothing and is never used (an upload part), is looked for first with `reconcile`, and
    is otherwise not repeated at all.
    """

    method: str
    path: str
    parse: Callable[[Any], T]
    params: Mapping[str, Any] | None = None
    json: Any = None
    form: Mapping[str, str | list[str]] | None = None
    files: Mapping[str, MultipartFile] | None = None
    paginated: bool = False
    streamed: bool = False
    text: bool = False
    repeatable: bool = False
    reconcile: Reconcile[T] | None = field(default=None, compare=False)

    @property
    def admin(self) -> bool:
        """Organization endpoints take the admin key; every other endpoint takes the project key."""
        return self.path == ADMIN_PREFIX or self.path.startswith(ADMIN_PREFIX + "/")

    @property
    def idempotent(self) -> bool:
        """Sending it twice has the effect of sending it once."""
        return self.method.upper() in IDEMPOTENT_METHODS or self.repeatable

    @property
    def describe(self) -> str:
        return f"{self.method} {self.path}"

    def query(self) -> dict[str, Any] | None:
        if not self.params:
            return None
        return {key: value for key, value in self.params.items() if value is not None}

    def multipart(self) -> dict[str, tuple[str, Window, str]] | None:
        if not self.files:
            return None
        return {
            name: (part.filename, Window(part.content, part.start or 0), part.content_type)
            for name, part in self.files.items()
        }

    def next_page(self, page: Mapping[str, Any]) -> ApiCall[T] | None:
        """The call for the page after `page`, or None when this was the last one."""
        data = page.get("data") or []
        if not self.paginated or not page.get("has_more") or not data:
            return None
        cursor = page.get("last_id") or data[-1].get("id")
        if not cursor:
            return None
        return ApiCall(
            self.method,
            self.path,
            self.parse,
            params={**(self.params or {}), "after": cursor},
            paginated=True,
        )


@dataclass(frozen=True)
class ListCall(ApiCall[T]):
    """A paginated `ApiCall`: what list builders return.

    Always `paginated`; being its own type lets the hook's bound methods promise
    `Iterator[T]` (and `AsyncIterator[T]`) to type checkers instead of `T`.
    """

    paginated: bool = field(default=True, init=False)


@dataclass(frozen=True)
class StreamCall(ApiCall[T]):
    """A call whose answer streams in as server-sent events (`"stream": true`): what the builders of
    streamed calls return. Always `streamed`; the hook's bound methods promise a `ChunkStream[T]`
    (and an `AsyncChunkStream[T]`) of the parsed events, ending at `[DONE]`."""

    streamed: bool = field(default=True, init=False)


def raw_json(value: Any) -> Any:
    """Parser for calls whose answer has no model of its own."""
    return value


def _seekable(stream: IO[bytes]) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError):
        return False
