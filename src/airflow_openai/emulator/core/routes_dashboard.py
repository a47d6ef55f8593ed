"""The dashboard's index, `/_emulator/dashboard`, and its stylesheet, `/_emulator/dashboard/style.css`.

The index links every service's part of the dashboard with its objects counted by status, and
shows the emulated clock. Core knows no service: `app.create_app` hands it the services'
`Section`s (each `<service>/routes_dashboard.py` declares its own).
"""

from __future__ import annotations

import html
import time
from collections import Counter
from collections.abc import Sequence

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from airflow_openai.emulator.core.dashboard_style import STYLESHEET
from airflow_openai.emulator.core.html import (
    LIVE,
    ROOT,
    Section,
    badge,
    fields,
    html_page,
    link,
    span,
    timestamp,
    to,
)
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.web import emulator


def router(sections: Sequence[Section]) -> APIRouter:
    """The index over `sections`, in their order, and the stylesheet every page links."""
    api = APIRouter(prefix=ROOT)

    @api.get("", response_class=HTMLResponse)
    async def index(state: EmulatorState = Depends(emulator)) -> HTMLResponse:
        """The dashboard's index: every service's objects counted by status, and the clock."""
        tallies = await run_in_threadpool(lambda: [section.tally(state) for section in sections])
        cards = "".join(_card(section, tally) for section, tally in zip(sections, tallies, strict=True))
        live = any(tally[status] for tally in tallies for status in LIVE)
        body = f"<div class='cards'>{cards}</div><h2>Clock</h2>{_clock(state)}"
        return html_page(state, "OpenAI emulator dashboard", body, live=live, home=False)

    @api.get("/style.css")
    async def stylesheet() -> Response:
        """The stylesheet every dashboard page links."""
        return Response(STYLESHEET, media_type="text/css", headers={"cache-control": "max-age=60"})

    return api


def _card(section: Section, tally: Counter[str]) -> str:
    total = sum(tally.values())
    statuses = " ".join(f"{badge(status)} {count}" for status, count in sorted(tally.items()))
    return (
        f"<div class='card'><h2>{link(to(*section.path.split('/')), section.title)}</h2>"
        f"<div class='count'>{total}</div><p>{statuses or '<span class=note>none yet</span>'}</p>"
        f"<p class='note'>{html.escape(section.about)}</p></div>"
    )


def _speed(state: EmulatorState) -> str:
    if state.clock.speed <= 0:
        return "stopped"
    return f"{state.clock.speed:g}× (an emulated hour takes {span(state.clock.real_seconds(3600))})"


def _clock(state: EmulatorState) -> str:
    emulated, real = state.clock.now(), time.time()
    ahead = emulated - real
    return fields(
        [
            ("emulated now", timestamp(emulated)),
            ("real now", timestamp(real)),
            ("ahead of real time", span(ahead) if ahead >= 1 else "no"),
            ("speed", _speed(state)),
            ("a batch line takes", f"{state.seconds_per_line:g} emulated seconds"),
        ]
    )
