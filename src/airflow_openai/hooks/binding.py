"""Turn a call builder into a hook method, sync or async, so no method is written twice."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from airflow_openai.client.calls import ApiCall


def sync_api(build: Callable[..., ApiCall[Any]]) -> Callable[..., Any]:
    """A blocking hook method: returns the model, or an iterator over every item of a list."""

    @functools.wraps(build)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return self.run_call(build(*args, **kwargs))

    return method


def async_api(build: Callable[..., ApiCall[Any]]) -> Callable[..., Any]:
    """The async twin: returns an awaitable model, or an async iterator over a list."""

    @functools.wraps(build)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return self.arun_call(build(*args, **kwargs))

    method.__name__ = method.__qualname__ = f"a{build.__name__}"
    return method
