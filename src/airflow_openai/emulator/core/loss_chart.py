"""A fine-tuning job's training and validation loss per step as an SVG chart, for the dashboard.

This is a second drawing of the chart the provider's fine-tuning operator writes as `loss.svg`
(`airflow_openai.fine_tuning.loss_chart`): the emulator imports nothing of the provider (it runs
on its own, and the provider's tests run against it), so it draws the chart itself, the same
way, pixel for pixel: same size, margins, round ticks, colours, legend and downsampling.
`tests/emulator/test_dashboard_chart.py` checks that both give the same SVG for the same rows,
so a change to one that is not made to the other fails.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

MAX_POINTS_PER_SERIES = 1000
"""A polyline keeps at most this many points; longer runs keep each stretch's lowest and highest."""

TRAIN_COLOUR = "#1f77b4"
VALID_COLOUR = "#ff7f0e"

_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 64, 20, 40, 48
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Row = tuple[int, float | None, float | None]
"""A step, its train loss and its validation loss (None where the step has none)."""
Point = tuple[float, float]


def loss_chart_svg(rows: Iterable[Row], *, title: str, width: int = 720, height: int = 360) -> str:
    """An SVG document charting train loss (every step that has it) and validation loss (only the
    steps that have it) against the step, with axes, round ticks, a legend and `title`."""
    train: list[Point] = []
    valid: list[Point] = []
    for step, train_loss, valid_loss in rows:
        if train_loss is not None and math.isfinite(train_loss):
            train.append((float(step), float(train_loss)))
        if valid_loss is not None and math.isfinite(valid_loss):
            valid.append((float(step), float(valid_loss)))
    train.sort(key=lambda p: p[0])
    valid.sort(key=lambda p: p[0])
    every = train + valid
    if every:
        x_ticks = _ticks(
            *_spread(min(p[0] for p in every), max(p[0] for p in every), pad=1.0), 7, integer=True
        )
        y_ticks = _ticks(*_spread(min(p[1] for p in every), max(p[1] for p in every), pad=None), 6)
    else:
        x_ticks, y_ticks = [0.0, 1.0], [0.0, 1.0]
    plot = _Plot(width, height, x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{_text(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text class="title" x="{_n(width / 2)}" y="24" text-anchor="middle" font-size="15" '
        f'font-weight="bold">{_text(_fit(title, width))}</text>',
    ]
    parts += _grid_and_axes(plot, x_ticks, y_ticks)
    if not every:
        parts.append(
            f'<text class="empty" x="{_n(plot.left + plot.w / 2)}" y="{_n(plot.top + plot.h / 2)}" '
            f'text-anchor="middle" fill="#666666">no loss values to plot</text>'
        )
    legend: list[tuple[str, str]] = []
    for name, label, colour, points in (
        ("train-loss", "train loss", TRAIN_COLOUR, train),
        ("valid-loss", "validation loss", VALID_COLOUR, valid),
    ):
        if points:
            parts += _series(plot, name, colour, points)
            legend.append((label, colour))
    parts += _legend(plot, legend)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _downsample(points: Sequence[Point], limit: int = MAX_POINTS_PER_SERIES) -> list[Point]:
    """At most `limit` of `points`: the first, the last, and each equal stretch's lowest and highest."""
    if len(points) <= limit:
        return list(points)
    inner = points[1:-1]
    stretches = (limit - 2) // 2
    kept = [points[0]]
    for n in range(stretches):
        stretch = inner[n * len(inner) // stretches : (n + 1) * len(inner) // stretches]
        if not stretch:
            continue
        low = min(range(len(stretch)), key=lambda i: stretch[i][1])
        high = max(range(len(stretch)), key=lambda i: stretch[i][1])
        kept += [stretch[i] for i in sorted({low, high})]
    kept.append(points[-1])
    return kept


def _ticks(low: float, high: float, count: int, *, integer: bool = False) -> list[float]:
    """Round ticks (1, 2 or 5 times a power of ten apart) from at or below `low` to at or above `high`."""
    spacing = _nice((high - low) / max(count - 1, 1))
    if integer:
        spacing = max(spacing, 1.0)
    decimals = _decimals(spacing)
    first = math.floor(low / spacing + 1e-9)
    last = math.ceil(high / spacing - 1e-9)
    return [round(n * spacing, decimals) for n in range(first, last + 1)]


def _nice(value: float) -> float:
    power = 10.0 ** math.floor(math.log10(value))
    fraction = value / power
    if fraction < 1.5:
        return power
    if fraction < 3:
        return 2 * power
    if fraction < 7:
        return 5 * power
    return 10 * power


def _decimals(spacing: float) -> int:
    return max(0, -math.floor(math.log10(spacing) + 1e-9))


def _spread(low: float, high: float, *, pad: float | None) -> tuple[float, float]:
    """`low`..`high`, widened around a single value (not below zero when the values are not)."""
    if high > low:
        return low, high
    margin = pad if pad is not None else (abs(low) * 0.1 or 0.1)
    return (low - margin if low - margin >= 0 or low < 0 else 0.0), high + margin


class _Plot:
    def __init__(self, width: int, height: int, x0: float, x1: float, y0: float, y1: float) -> None:
        self.left, self.top = _MARGIN_LEFT, _MARGIN_TOP
        self.w = width - _MARGIN_LEFT - _MARGIN_RIGHT
        self.h = height - _MARGIN_TOP - _MARGIN_BOTTOM
        self.x0, self.x1, self.y0, self.y1 = x0, x1, y0, y1

    @property
    def right(self) -> float:
        return self.left + self.w

    @property
    def bottom(self) -> float:
        return self.top + self.h

    def x(self, value: float) -> float:
        return self.left + (value - self.x0) / (self.x1 - self.x0) * self.w

    def y(self, value: float) -> float:
        return self.bottom - (value - self.y0) / (self.y1 - self.y0) * self.h


def _grid_and_axes(plot: _Plot, x_ticks: list[float], y_ticks: list[float]) -> list[str]:
    y_decimals = _decimals(y_ticks[1] - y_ticks[0]) if len(y_ticks) > 1 else 0
    grid, marks, labels = [], [], []
    for value in y_ticks:
        y = _n(plot.y(value))
        grid.append(f'<line x1="{_n(plot.left)}" y1="{y}" x2="{_n(plot.right)}" y2="{y}"/>')
        marks.append(f'<line x1="{_n(plot.left - 5)}" y1="{y}" x2="{_n(plot.left)}" y2="{y}"/>')
        labels.append(
            f'<text x="{_n(plot.left - 8)}" y="{y}" text-anchor="end" dominant-baseline="middle">'
            f"{value:.{y_decimals}f}</text>"
        )
    for value in x_ticks:
        x = _n(plot.x(value))
        marks.append(f'<line x1="{x}" y1="{_n(plot.bottom)}" x2="{x}" y2="{_n(plot.bottom + 5)}"/>')
        labels.append(f'<text x="{x}" y="{_n(plot.bottom + 18)}" text-anchor="middle">{int(value):,}</text>')
    axes = [
        f'<line x1="{_n(plot.left)}" y1="{_n(plot.bottom)}" x2="{_n(plot.right)}" y2="{_n(plot.bottom)}"/>',
        f'<line x1="{_n(plot.left)}" y1="{_n(plot.top)}" x2="{_n(plot.left)}" y2="{_n(plot.bottom)}"/>',
    ]
    y_label_x, y_label_y = 16, plot.top + plot.h / 2
    return [
        '<g class="grid" stroke="#e6e6e6" stroke-width="1">',
        *grid,
        "</g>",
        '<g class="axes" stroke="#333333" stroke-width="1">',
        *axes,
        *marks,
        "</g>",
        '<g class="tick-labels" fill="#333333">',
        *labels,
        "</g>",
        f'<text class="axis-label" x="{_n(plot.left + plot.w / 2)}" y="{_n(plot.bottom + 40)}" '
        f'text-anchor="middle">step</text>',
        f'<text class="axis-label" x="{y_label_x}" y="{_n(y_label_y)}" text-anchor="middle" '
        f'transform="rotate(-90 {y_label_x} {_n(y_label_y)})">loss</text>',
    ]


def _series(plot: _Plot, name: str, colour: str, points: list[Point]) -> list[str]:
    shown = _downsample(points)
    coordinates = " ".join(f"{_n(plot.x(x))},{_n(plot.y(y))}" for x, y in shown)
    parts = [
        f'<polyline class="{name}" fill="none" stroke="{colour}" stroke-width="1.5" '
        f'stroke-linejoin="round" points="{coordinates}"/>'
    ]
    if len(shown) == 1:  # one point draws no line; mark it
        x, y = shown[0]
        parts.append(
            f'<circle class="{name}" cx="{_n(plot.x(x))}" cy="{_n(plot.y(y))}" r="3" fill="{colour}"/>'
        )
    return parts


def _legend(plot: _Plot, entries: list[tuple[str, str]]) -> list[str]:
    if not entries:
        return []
    box_w, line_h = 130, 18
    x, y = plot.right - box_w - 8, plot.top + 8
    parts = [
        '<g class="legend">',
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{box_w}" height="{len(entries) * line_h + 8}" '
        f'fill="#ffffff" fill-opacity="0.85" stroke="#cccccc"/>',
    ]
    for n, (label, colour) in enumerate(entries):
        middle = y + 4 + line_h * n + line_h / 2
        parts.append(
            f'<line x1="{_n(x + 8)}" y1="{_n(middle)}" x2="{_n(x + 30)}" y2="{_n(middle)}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(
            f'<text x="{_n(x + 36)}" y="{_n(middle)}" dominant-baseline="middle">{_text(label)}</text>'
        )
    parts.append("</g>")
    return parts


def _fit(title: str, width: int) -> str:
    room = max(int((width - 24) / 8.5), 8)
    return title if len(title) <= room else title[: room - 1] + "…"


def _text(value: str) -> str:
    """`value` as XML character data: markup escaped, characters XML cannot hold dropped."""
    return escape(_NOT_XML.sub("", str(value)))


def _n(value: float) -> str:
    """A coordinate to one decimal, without a trailing `.0`."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text
