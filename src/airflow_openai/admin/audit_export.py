"""One interval of the organization's audit log, read to the last page and put in time order.

The API lists entries newest first, a page of at most 100 at a time, and filters them by
`effective_at`, project, event type, actor and resource. An export wants them oldest first
(the order things happened in, which is how a log is read and appended to), so the pages
are read to the end and then turned around; entries of the same second keep the order they
were written in. An entry the API sends twice, or one outside the interval (it never should),
is left out and counted, so a file holds each entry of its interval exactly once.
"""

from __future__ import annotations

import ast
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from airflow_openai.admin.interval import Interval

PAGE_SIZE = 100
"""The most entries the API returns in one page."""

FILTERS = ("project_ids", "event_types", "actor_ids", "actor_emails", "resource_ids")
"""The audit log's list filters, named as `list_audit_logs` (and the spec, less the `[]`) names them."""


def as_list(value: Any, name: str) -> tuple[str, ...]:
    """A filter's values from a list, one value, or the text a template renders a list to
    (``"['proj_a', 'proj_b']"`` or JSON). None and blanks mean no filter."""
    if value is None:
        return ()
    if isinstance(value, str):
        text = value.strip()
        if not text or text == "None":
            return ()
        if not text.startswith("["):
            return (text,)
        try:
            value = json.loads(text)
        except ValueError:
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                raise ValueError(f"{name} must be a list of strings, got {text!r}") from None
    if not isinstance(value, list | tuple | set | frozenset):
        raise ValueError(f"{name} must be a list of strings, got {type(value).__name__} {value!r}")
    items = tuple(str(item).strip() for item in value if item is not None and str(item).strip())
    return tuple(dict.fromkeys(items))  # order kept, repeats dropped


@dataclass(frozen=True)
class AuditLogFilters:
    """What to keep of the interval's entries; an empty filter keeps everything. Within one filter
    any value matches; filters combine with and (as the API applies them)."""

    project_ids: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    actor_ids: tuple[str, ...] = ()
    actor_emails: tuple[str, ...] = ()
    resource_ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, **values: Any) -> AuditLogFilters:
        unknown = set(values) - set(FILTERS)
        if unknown:
            raise TypeError(f"unknown audit log filters {sorted(unknown)}; known: {list(FILTERS)}")
        return cls(**{name: as_list(value, name) for name, value in values.items()})

    def query(self) -> dict[str, list[str]]:
        """The filters that filter, as `list_audit_logs` keyword arguments."""
        return {name: list(getattr(self, name)) for name in FILTERS if getattr(self, name)}

    def describe(self) -> str:
        chosen = self.query()
        return ", ".join(f"{name}={values}" for name, values in chosen.items()) or "no filters"


def audit_log_query(
    interval: Interval, filters: AuditLogFilters | None = None, *, limit: int = PAGE_SIZE
) -> dict[str, Any]:
    """Keyword arguments of `list_audit_logs` for every entry of `interval` that `filters` keep."""
    return {"limit": limit, "effective_at": interval.effective_at(), **(filters or AuditLogFilters()).query()}


def _plain(entry: Any) -> dict[str, Any]:
    """An entry as the API sent it: a model's fields as received (extra ones included), or the dict."""
    if hasattr(entry, "model_dump"):
        return dict(entry.model_dump(mode="json", exclude_unset=True))
    if isinstance(entry, dict):
        return dict(entry)
    raise TypeError(f"an audit log entry must be a model or a dict, got {type(entry).__name__}")


@dataclass
class AuditLogExport:
    """An interval's entries, oldest first, and what reading them took."""

    interval: Interval
    entries: list[dict[str, Any]] = field(default_factory=list)
    read: int = 0
    """Entries the API sent, before leaving out repeats and strays."""
    repeated: int = 0
    outside: int = 0
    page_size: int = PAGE_SIZE

    @property
    def count(self) -> int:
        return len(self.entries)

    @property
    def pages(self) -> int:
        """Pages read: the API fills every page but the last, so this is exact for its listings."""
        return max(1, math.ceil(self.read / self.page_size))

    def event_types(self) -> dict[str, int]:
        """How many entries of each type, by type name."""
        counts = Counter(str(entry.get("type")) for entry in self.entries)
        return dict(sorted(counts.items()))


def read_interval(
    listing: Iterable[Any],
    interval: Interval,
    *,
    page_size: int = PAGE_SIZE,
    on_page: Callable[[int], Any] | None = None,
) -> AuditLogExport:
    """Read `listing` (the API's entries of `interval`, newest first, every page) to the end and
    return them oldest first. `on_page(read_so_far)` is called after each full page, for progress."""
    export = AuditLogExport(interval, page_size=page_size)
    seen: set[str] = set()
    newest_first: list[dict[str, Any]] = []
    for entry in listing:
        export.read += 1
        if on_page is not None and export.read % page_size == 0:
            on_page(export.read)
        record = _plain(entry)
        entry_id = str(record.get("id"))
        if entry_id in seen:
            export.repeated += 1
            continue
        seen.add(entry_id)
        when = record.get("effective_at")
        if not isinstance(when, int) or not interval.contains(when):
            export.outside += 1
            continue
        newest_first.append(record)
    oldest_first = newest_first[::-1]
    oldest_first.sort(key=lambda record: record["effective_at"])  # stable: same-second order is kept
    export.entries = oldest_first
    return export
