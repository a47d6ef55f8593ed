"""`GET /_emulator/`: the control plane's own index, every route the emulator serves outside `/v1`.

Each route is listed with its method, path, group and a one-line summary (its docstring's first
paragraph), read from the app's routes when asked: a route added in any service's
`routes_control.py` or `routes_dashboard.py` is listed without a change here, and core knows no
service. Groups: `control` (what tests and demos call to make time pass or the API misbehave),
`dashboard` (the pages standing in for platform.openai.com) and `other` (the token exchange, images
served by URL). JSON by default; a browser (`Accept: text/html`) gets the same as a page.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from airflow_openai.emulator.core.html import ROOT, Markup, html_page, table
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.web import emulator

PREFIX = "/_emulator"
GROUPS = ("control", "dashboard", "other")

router = APIRouter(prefix=PREFIX)


def summary(endpoint: Any) -> str:
    """The first paragraph of a route's docstring, on one line ("" without one)."""
    doc = (getattr(endpoint, "__doc__", None) or "").strip()
    return " ".join(doc.split("\n\n", 1)[0].split())


def group_of(path: str) -> str | None:
    """Where a path belongs in the listing; None for what is not listed (the API under `/v1`)."""
    if path == PREFIX or path.startswith("/v1/"):
        return None  # `/_emulator` is this listing again, without the slash
    if path == ROOT or path.startswith(ROOT + "/"):
        return "dashboard"
    if path.startswith(PREFIX + "/") and not path.startswith(PREFIX + "/images/"):
        return "control"
    return "other"


def listing(routes: Iterable[Any]) -> list[dict[str, str]]:
    """Every route outside `/v1`, one entry per method, by group and path."""
    found = []
    for route in routes:
        group = group_of(getattr(route, "path", "/v1/"))
        for method in sorted(getattr(route, "methods", None) or ()):
            if group is not None and method != "HEAD":
                entry = {
                    "method": method,
                    "path": route.path,
                    "group": group,
                    "summary": summary(route.endpoint),
                }
                found.append(entry)
    return sorted(found, key=lambda entry: (GROUPS.index(entry["group"]), entry["path"], entry["method"]))


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split("text/html", 1)[0]


def _page(state: EmulatorState, routes: list[dict[str, str]]) -> HTMLResponse:
    titles = {
        "control": "Control plane (no key needed; JSON bodies)",
        "dashboard": "Dashboard pages",
        "other": "Also outside /v1",
    }
    body = (
        "<p>The OpenAI API is under <code>/v1</code> (any <code>sk-…</code> key; <code>sk-admin-…</code> "
        "for <code>/v1/organization</code>). Everything else the emulator serves is listed here; "
        "the same list is JSON for a client that does not ask for HTML.</p>"
    )
    for group in GROUPS:
        rows = [
            (entry["method"], _code(entry["path"]), entry["summary"])
            for entry in routes
            if entry["group"] == group
        ]
        body += f"<h2>{html.escape(titles[group])}</h2>" + table(("method", "path", "what it does"), rows)
    return html_page(state, "OpenAI emulator: routes", body)


def _code(text: str) -> Markup:
    return Markup(f"<code>{html.escape(text)}</code>")


@router.get("/")
async def index(request: Request, state: EmulatorState = Depends(emulator)) -> Response:
    """This listing: every route outside `/v1` with its method and what it does (a page for a browser)."""
    routes = listing(request.app.routes)
    if _wants_html(request):
        return _page(state, routes)
    return JSONResponse({"api": "/v1", "dashboard": ROOT, "routes": routes})


@router.get("", include_in_schema=False)
async def index_without_slash(request: Request, state: EmulatorState = Depends(emulator)) -> Response:
    """The listing at `/_emulator` too."""
    return await index(request, state)
