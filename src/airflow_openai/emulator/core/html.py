"""The dashboard pages' shared parts: the page around them, tables, links, status badges, progress,
the emulated clock, and what each service tells the index about itself.

Every service's dashboard (`<service>/routes_dashboard.py`) builds its pages with these, so the
pages look alike (one stylesheet, `core.dashboard_style`) without one dashboard importing
another. Every page has the way back (dashboard › list › object) and says that its times are
the emulator's, and by how much its clock is ahead of this machine's; a page showing something
still in progress reloads itself every `REFRESH_SECONDS`. Links are absolute paths under `ROOT`.
A table escapes what its cells show, so a page cannot forget to: only a cell marked `Markup`
(a link, a badge, a `<pre>` block) is HTML already.
"""

from __future__ import annotations

import html
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from fastapi.responses import HTMLResponse

from airflow_openai.emulator.core.state import EmulatorState

ROOT = "/_emulator/dashboard"
STYLESHEET = f"{ROOT}/style.css"
REFRESH_SECONDS = 2
"""How often a page showing something in progress reloads itself."""

OK = frozenset({"completed", "succeeded"})
BAD = frozenset({"failed", "expired", "incomplete"})
OFF = frozenset({"cancelled", "deleted"})
LIVE = frozenset(
    {
        "validating",
        "validating_files",
        "queued",
        "in_progress",
        "running",
        "finalizing",
        "cancelling",
        "requires_action",
    }
)
"""Statuses still moving on the emulated clock: a page showing one refreshes itself."""

Crumbs = Sequence[tuple[str, str]]
"""The pages between the index and this one, as (href, text)."""


class Markup(str):
    """Text that is HTML already: a table cell shows it as it is, where it escapes any other text."""


@dataclass(frozen=True)
class Section:
    """A service's part of the dashboard, as the index shows it: its list page (`path` under `ROOT`),
    what it holds, and its objects counted by status as of now (`tally`)."""

    title: str
    path: str
    about: str
    tally: Callable[[EmulatorState], Counter[str]] = field(compare=False)


def to(*parts: str) -> str:
    """The absolute path of a dashboard page: `to("batches", batch_id)`; each part is URL-quoted."""
    return ROOT + "".join("/" + quote(part, safe="") for part in parts)


def link(href: str, text: str) -> Markup:
    return Markup(f'<a href="{html.escape(href)}">{html.escape(text)}</a>')


def badge(status: str) -> Markup:
    """`status` as a coloured badge: green done, red failed or expired, blue moving, grey cancelled."""
    tone = "ok" if status in OK else "bad" if status in BAD else "live" if status in LIVE else "off"
    return Markup(f'<span class="badge {tone}">{html.escape(status)}</span>')


def plain(value: Any) -> str:
    """A value as one line of text: a dict as `k=v` pairs, a list joined by commas, None as nothing."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(plain, value))
    return "" if value is None else str(value)


def timestamp(unix: float | None) -> str:
    """An emulated time as `2026-05-01 12:00:00 UTC` (nothing for None)."""
    if unix is None:
        return ""
    return datetime.fromtimestamp(unix, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def when(unix: float | None) -> Markup:
    """`timestamp` for a table cell: kept on one line."""
    return Markup(f"<span class='time'>{timestamp(unix)}</span>")


def span(seconds: float) -> str:
    """A duration for people: `0.4 s`, `45 s`, `3 min 20 s`, `2 h 3 min`, `3 d 4 h`."""
    seconds = abs(seconds)
    if seconds < 10:
        return f"{seconds:.1f} s".replace(".0 s", " s")
    whole = round(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def eta(state: EmulatorState, at: float) -> str:
    """When something due at emulated time `at` happens: the time, and how long that is from now in
    emulated time and in real time at the clock's speed."""
    left = at - state.clock.now()
    if left <= 0:
        return f"{timestamp(at)}, due now"
    real = state.clock.real_seconds(left)
    real_text = "the clock is stopped" if real == float("inf") else f"{span(real)} real time"
    return f"{timestamp(at)}, in {span(left)} emulated ({real_text})"


def progress(done: int, total: int, unit: str, finish: str | None = None) -> str:
    """A progress bar with its percent (`42% · 420 of 1,000 lines`) and, if known, the ETA `finish`."""
    percent = 100 * done // total if total else 0
    bar = f'<div class="bar" role="progressbar" aria-valuenow="{percent}"><span style="width: {percent}%"></span></div>'
    text = f"<b>{percent}%</b> · {done:,} of {total:,} {html.escape(unit)}"
    finish_text = f" · ETA {html.escape(finish)}" if finish else ""
    return f'<div class="progress">{bar}<span>{text}{finish_text}</span></div>'


def _row(*cells: Any, cell: str = "td") -> str:
    """One table row of `td` (or `th`) cells: each value as `plain` text, escaped, unless it is `Markup`."""
    shown = (content if isinstance(content, Markup) else html.escape(plain(content)) for content in cells)
    return "<tr>" + "".join(f"<{cell}>{content}</{cell}>" for content in shown) + "</tr>"


def table(header: Sequence[str] | None, rows: Iterable[Sequence[Any]], *, empty: str = "none") -> str:
    """A `<table>`: a heading row of `header` (none when it is None), then a row of cells each, or one
    row saying `empty` when there are none."""
    heading = "" if header is None else _row(*header, cell="th")
    body = "".join(_row(*cells) for cells in rows)
    if not body:
        body = f'<tr><td class="empty" colspan="{len(header or (1,))}">{html.escape(empty)}</td></tr>'
    return f"<table>{heading}{body}</table>"


def fields(rows: Iterable[tuple[str, Any]]) -> str:
    """An object's fields as a two-column table: name, value (empty values shown as nothing)."""
    return (
        '<table class="fields">'
        + "".join(_row(Markup(html.escape(name)), value) for name, value in rows)
        + "</table>"
    )


def _ahead(state: EmulatorState) -> str:
    ahead = state.clock.now() - time.time()
    if abs(ahead) < 1:
        return "level with real time"
    return f"{span(ahead)} {'ahead of' if ahead > 0 else 'behind'} real time"


def _speed(state: EmulatorState) -> str:
    return "is stopped" if state.clock.speed <= 0 else f"runs at {state.clock.speed:g}× real time"


def clock_line(state: EmulatorState) -> str:
    """The header's clock: emulated now, the speed and how far ahead of real time it is."""
    return html.escape(
        f"emulated time {timestamp(state.clock.now())} · the clock {_speed(state)} · {_ahead(state)}"
    )


def clock_note(state: EmulatorState, live: bool = False) -> str:
    """What the times on a page are: emulated, on a clock running at its speed, ahead by so much."""
    etas = " ETAs give emulated time, and the real time left at the current speed." if live else ""
    return html.escape(
        "All times on this page are emulated (UTC, on the emulator's clock), not this machine's: the clock "
        f"{_speed(state)} and is now {_ahead(state)}.{etas}"
    )


def html_page(
    state: EmulatorState,
    title: str,
    body: str,
    *,
    crumbs: Crumbs = (),
    status: int = 200,
    live: bool = False,
    state_badge: str | None = None,
    home: bool = True,
) -> HTMLResponse:
    """A dashboard page: `title` as its heading (with `state_badge` beside it), the way back through
    `crumbs` to the index (none on the index itself: `home=False`), the clock, then `body` (escaped HTML
    already). A `live` page (something on it still in progress) reloads itself."""
    trail = [(ROOT, "Dashboard")] if home else []
    trail += list(crumbs)
    sep = '<span class="sep">›</span>'
    nav = "".join(str(link(href, text)) + sep for href, text in trail)
    nav += f'<span class="here">{html.escape(title)}</span>'
    refresh = f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' if live else ""
    heading = html.escape(title) + (f" {badge(state_badge)}" if state_badge else "")
    live_note = (
        f" This page reloads itself every {REFRESH_SECONDS} s while something on it is in progress."
        if live
        else ""
    )
    document = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)} · OpenAI emulator</title>"
        f"<link rel='stylesheet' href='{STYLESHEET}'>{refresh}</head><body>"
        f"<header><nav>{nav}</nav><span class='clock'>{clock_line(state)}</span></header>"
        f"<main><h1>{heading}</h1>{body}</main>"
        f"<footer><p class='emulated'>{clock_note(state, live)}{live_note}</p></footer></body></html>"
    )
    return HTMLResponse(document, status_code=status)


def not_found(state: EmulatorState, what: str, object_id: str, back: tuple[str, str]) -> HTMLResponse:
    """The 404 page for an unknown id: what was asked for, and a link back to the list it belongs in."""
    href, text = back
    body = (
        f"<p class='problem'>No {html.escape(what)} <code>{html.escape(object_id)}</code> in this emulator: "
        "it may have been deleted, or the emulator reset since the link was made.</p>"
        f"<p>{link(href, '← ' + text)}</p>"
    )
    title = f"{what[:1].upper()}{what[1:]} not found"
    return html_page(state, title, body, crumbs=[back], status=404)
