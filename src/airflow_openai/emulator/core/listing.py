"""The API's list envelope with cursor pagination (`limit`, `after`, `before`, `order`, `has_more`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_openai.emulator.core.errors import bad_request
from airflow_openai.emulator.core.store import Obj, public


def page(
    objects: list[Obj],
    *,
    limit: int | None = 20,
    after: str | None = None,
    before: str | None = None,
    order: str | None = None,
    max_limit: int = 100,
    render: Callable[[Obj], Obj] = public,
    keep: Callable[[Obj], bool] | None = None,
) -> dict[str, Any]:
    """A page of `objects` (given newest first) as `{"object": "list", "data", "first_id", "last_id", "has_more"}`,
    each object as `render` shows it (by default without its private and unset fields). An empty page has
    no first or last object, so no `first_id` or `last_id` either: the spec types them as strings.

    `keep` filters the objects after the cursors are placed, so a cursor may name an object the
    filter leaves out (a file that completed between two pages of in-progress files). With
    `before` alone, the page is the `limit` objects just before it, and `has_more` says
    whether others precede them."""
    limit = 20 if limit is None else limit
    if not 1 <= limit <= max_limit:
        raise bad_request(f"limit must be between 1 and {max_limit}", param="limit")
    if order not in (None, "asc", "desc"):
        raise bad_request("order must be 'asc' or 'desc'", param="order")
    items = list(reversed(objects)) if order == "asc" else list(objects)
    ids = [item["id"] for item in items]
    start, end = 0, len(items)
    if after is not None:
        if after not in ids:
            raise bad_request(f"No object with id '{after}' to page after", param="after")
        start = ids.index(after) + 1
    if before is not None:
        if before not in ids:
            raise bad_request(f"No object with id '{before}' to page before", param="before")
        end = ids.index(before)
    window = [item for item in items[start:end] if keep is None or keep(item)]
    chosen = window[-limit:] if before is not None and after is None else window[:limit]
    data = [render(item) for item in chosen]
    ends = {"first_id": data[0]["id"], "last_id": data[-1]["id"]} if data else {}
    return {"object": "list", "data": data, **ends, "has_more": len(window) > len(chosen)}
