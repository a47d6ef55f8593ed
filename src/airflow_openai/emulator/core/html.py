"""The dashboard pages' shared helpers: a bare HTML page, a table, a link, a value as one line of
text, a timestamp.

Every service's dashboard (`<service>/routes_dashboard.py`) builds its pages with these, so
the pages look alike without one dashboard importing another. A table escapes what its cells
show, so a page cannot forget to: only a cell marked `Markup` (a link, a `<pre>` block) is HTML
already.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from fastapi.responses import HTMLResponse


def plain(value: Any) -> str:
    """A value as one line of text: a dict as `k=v` pairs, None as nothing."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return "" if value is None else str(value)


def timestamp(unix: int) -> str:
    return datetime.fromtimestamp(unix, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def html_page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """A bare HTML page with `title` as its heading; `body` is already escaped HTML."""
    document = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status)


class Markup(str):
    """Text that is HTML already: a table cell shows it as it is, where it escapes any other text."""


def link(href: str, text: str) -> Markup:
    """A link to another dashboard page (`finetune/ftjob-...`), relative to the page it stands on."""
    return Markup(f'<a href="{html.escape(href)}">{html.escape(text)}</a>')


def _row(*cells: Any, cell: str = "td") -> str:
    """One table row of `td` (or `th`) cells: each value as `plain` text, escaped, unless it is `Markup`."""
    shown = (content if isinstance(content, Markup) else html.escape(plain(content)) for content in cells)
    return "<tr>" + "".join(f"<{cell}>{content}</{cell}>" for content in shown) + "</tr>"


def table(header: Sequence[str] | None, rows: Iterable[Sequence[Any]]) -> str:
    """A `<table>`: a heading row of `header` (none when it is None), then a row of cells each."""
    heading = "" if header is None else _row(*header, cell="th")
    return f"<table>{heading}{''.join(_row(*cells) for cells in rows)}</table>"
