"""Turn a call builder into a hook method, sync or async, so no method is written twice.

The bound method keeps the builder's parameters and, through the overloads, a return
type that follows from the builder's: a builder of `ApiCall[T]` gives a method returning
`T` (async: an awaitable `T`), a builder of `ListCall[T]` one returning `Iterator[T]`
(async: `AsyncIterator[T]`), a builder of `StreamCall[T]` one returning `ChunkStream[T]`
(async: `AsyncChunkStream[T]`). Assigned in a class body, the result binds `self` like any
method, for type checkers as at run time; `inspect.signature` shows `self`, the builder's
parameters and what the method returns.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, Concatenate, ParamSpec, TypeVar, overload

from airflow_openai.client.calls import ApiCall, ListCall, StreamCall
from airflow_openai.client.sse import AsyncChunkStream, ChunkStream

P = ParamSpec("P")
T = TypeVar("T")

_RETURNS = {  # (the builder's call type, async) -> what the hook method returns
    ("ApiCall", False): "{}",
    ("ListCall", False): "Iterator[{}]",
    ("ApiCall", True): "Coroutine[Any, Any, {}]",
    ("ListCall", True): "AsyncIterator[{}]",
    ("StreamCall", False): "ChunkStream[{}]",
    ("StreamCall", True): "AsyncChunkStream[{}]",
}


def _signature(build: Callable[..., Any], is_async: bool) -> inspect.Signature:
    """The builder's parameters after `self`, returning what the method returns (as a string)."""
    built = inspect.signature(build)
    returns: Any = inspect.Signature.empty
    kind, _, rest = str(built.return_annotation).partition("[")
    if rest.endswith("]") and (kind, is_async) in _RETURNS:
        returns = _RETURNS[kind, is_async].format(rest[:-1])
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return built.replace(parameters=[self_param, *built.parameters.values()], return_annotation=returns)


@overload
def sync_api(build: Callable[P, StreamCall[T]]) -> Callable[Concatenate[Any, P], ChunkStream[T]]: ...
@overload
def sync_api(build: Callable[P, ListCall[T]]) -> Callable[Concatenate[Any, P], Iterator[T]]: ...
@overload
def sync_api(build: Callable[P, ApiCall[T]]) -> Callable[Concatenate[Any, P], T]: ...
def sync_api(build: Callable[P, ApiCall[Any]]) -> Callable[Concatenate[Any, P], Any]:
    """A blocking hook method: returns the model, an iterator over every item of a list, or the
    chunks of a streamed answer."""

    @functools.wraps(build)
    def method(self: Any, *args: P.args, **kwargs: P.kwargs) -> Any:
        return self.run_call(build(*args, **kwargs))

    method.__signature__ = _signature(build, is_async=False)  # type: ignore[attr-defined]
    return method


# A `ListCall` (a `StreamCall`) is an `ApiCall`, so mypy sees the overloads overlap; the first
# that fits wins for every builder annotated `-> ListCall[...]` (`-> StreamCall[...]`), and
# tests/hooks/test_typing.py checks that every list and stream builder is annotated so.
@overload
def async_api(  # type: ignore[overload-overlap]
    build: Callable[P, StreamCall[T]],
) -> Callable[Concatenate[Any, P], AsyncChunkStream[T]]: ...
@overload
def async_api(  # type: ignore[overload-overlap]
    build: Callable[P, ListCall[T]],
) -> Callable[Concatenate[Any, P], AsyncIterator[T]]: ...
@overload
def async_api(build: Callable[P, ApiCall[T]]) -> Callable[Concatenate[Any, P], Coroutine[Any, Any, T]]: ...
def async_api(build: Callable[P, ApiCall[Any]]) -> Callable[Concatenate[Any, P], Any]:
    """The async twin: returns an awaitable model, an async iterator over a list, or the chunks of
    a streamed answer as an async iterator."""

    @functools.wraps(build)
    def method(self: Any, *args: P.args, **kwargs: P.kwargs) -> Any:
        return self.arun_call(build(*args, **kwargs))

    method.__name__ = method.__qualname__ = f"a{build.__name__}"
    method.__signature__ = _signature(build, is_async=True)  # type: ignore[attr-defined]
    return method
