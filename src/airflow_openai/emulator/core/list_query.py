"""The query of a list paged both ways (`limit`, `order`, `after`, `before`), read as one FastAPI dependency.

The spec's lists of assistants, of a thread's messages, runs and run steps, of vector stores, of a
store's files and of a file batch's files all take these four query parameters with the same
defaults (20 objects, newest first). A list route declares `query: ListQuery = Depends(list_query)`
and answers `query.page(objects, ...)`, so the parameters, their types and defaults, and how they
reach `core.listing.page` are written once instead of once a route. The lists that page forward only
(files, batches, fine-tuning jobs, the organization's) take no `before` and keep their own
parameters: an unknown query parameter is ignored there, as the service ignores it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from airflow_openai.emulator.core.listing import page
from airflow_openai.emulator.core.store import Obj, public


@dataclass(frozen=True)
class ListQuery:
    """What a list request asks for; the range of `limit` and the value of `order` are checked by
    `page`, after the route has found what it lists (an unknown thread is a 404 before a bad limit)."""

    limit: int = 20
    order: str = "desc"
    after: str | None = None
    before: str | None = None

    def page(
        self,
        objects: list[Obj],
        *,
        render: Callable[[Obj], Obj] = public,
        keep: Callable[[Obj], bool] | None = None,
    ) -> dict[str, Any]:
        """The page of `objects` (given newest first) this query asks for, as `core.listing.page`
        answers it: each object as `render` shows it, and only those `keep` keeps."""
        return page(
            objects,
            limit=self.limit,
            order=self.order,
            after=self.after,
            before=self.before,
            render=render,
            keep=keep,
        )


async def list_query(
    limit: int = 20, order: str = "desc", after: str | None = None, before: str | None = None
) -> ListQuery:
    """The four query parameters as FastAPI reads them: a `limit` that is not a whole number is the
    400 the app answers for any query parameter of the wrong type. Async, so that reading them takes
    no trip through the thread pool."""
    return ListQuery(limit=limit, order=order, after=after, before=before)
