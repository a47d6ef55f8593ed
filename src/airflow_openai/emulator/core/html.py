"""The dashboard pages' shared helpers: a bare HTML page, a value as one line of text, a timestamp.

Every service's dashboard (`<service>/routes_dashboard.py`) builds its pages with these, so
the pages look alike without one dashboard importing another.
"""

from __future__ import annotations

import html
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
