"""Charts drawn as static SVG on the server, for documents that run no script (the board pack's
PDF, which WeasyPrint makes from HTML): a line chart (the cumulative spend against budget, an
SPC chart) and a bar chart of amounts above and below zero in two colours (forecast over- and
underspend by budget line).

Each chart has a title, both axes titled, tick labels (money axes with £), and its legend in a
row under the plot, never over it; it is an `<svg role="img">` named by its title, with the
figures' description in its `<desc>`, for an HTML document (no namespace declaration, which
would name a URL in a document that must name none: HTML gives an `<svg>` its namespace). Colours and lines are attributes, not style (the site's
content security policy allows no inline style). Pure: plain numbers in, markup out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from pbc.web.jinja import MINUS

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP = 90, 16, 34
AXIS_ROOM = 66  # under the plot: tick labels (up to two lines) and the axis title
LEGEND_ROW = 18
TEXT = "#212b32"
GRID = "#d8dde0"
FONT = 'font-family="Arial, sans-serif"'


@dataclass(frozen=True)
class Series:
    """One line: its name (in the legend), values (None: no point), colour, and dash."""

    name: str
    values: Sequence[float | None]
    colour: str
    dash: str = ""  # an SVG stroke-dasharray, e.g. "6 4"
    markers: bool = False


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round tick values covering [low, high]."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0]
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def tick_text(value: float, money: bool) -> str:
    """£1.2m, £350k, £900 (money) or a plain number; a negative one with the minus sign money
    has everywhere (`pbc.web.jinja.MINUS`)."""
    sign = MINUS if value < 0 else ""
    size = abs(value)
    if not money:
        return f"{sign}{size:,.10g}" if size < 1e6 else f"{sign}{size / 1e6:,.3g}m"
    if size >= 1e6:
        return f"{sign}£{size / 1e6:,.3g}m"
    if size >= 1e3:
        return f"{sign}£{size / 1e3:,.3g}k"
    return f"{sign}£{size:,.0f}"


def _text(
    x: float, y: float, words: str, size: int = 11, anchor: str = "middle", **more: str
) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in more.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{TEXT}" '
        f"{FONT}{extra}>{escape(words)}</text>"
    )


class _Frame:
    """The chart's box: the plot area, y scale, title, y axis with its grid and title."""

    def __init__(
        self, title: str, y_title: str, x_title: str, values: Sequence[float], legend_items: int,
        money: bool,
    ) -> None:  # fmt: skip
        self.title, self.y_title, self.x_title, self.money = title, y_title, x_title, money
        finite = [v for v in values if v is not None and math.isfinite(v)] or [0.0]
        self.ticks = nice_ticks(min(0.0, min(finite)) if money else min(finite), max(finite))
        # Legend rows: about four entries a row.
        self.legend_rows = math.ceil(legend_items / 4) if legend_items else 0
        self.height = HEIGHT + self.legend_rows * LEGEND_ROW + 4
        self.bottom = HEIGHT - AXIS_ROOM
        self.left, self.right = LEFT, WIDTH - RIGHT

    def y(self, value: float) -> float:
        low, high = self.ticks[0], self.ticks[-1]
        return self.bottom - (value - low) / (high - low) * (self.bottom - TOP)

    def open(self, description: str) -> list[str]:
        out = [
            f'<svg class="pbc-svg-chart" role="img" '
            f'viewBox="0 0 {WIDTH} {self.height}" width="{WIDTH}" height="{self.height}" '
            f'aria-label="{escape(self.title)}">',
            f"<title>{escape(self.title)}</title><desc>{escape(description)}</desc>",
            _text(WIDTH / 2, 18, self.title, size=14, font_weight="bold"),
        ]
        for tick in self.ticks:
            y = self.y(tick)
            out.append(
                f'<line x1="{self.left}" x2="{self.right}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="{GRID}" stroke-width="1"/>'
            )
            out.append(_text(self.left - 6, y + 4, tick_text(tick, self.money), anchor="end"))
        middle = (TOP + self.bottom) / 2
        out.append(_text(16, middle, self.y_title, transform=f"rotate(-90 16 {middle:.1f})"))
        out.append(_text((self.left + self.right) / 2, self.bottom + 52, self.x_title))
        return out

    def legend(self, items: Sequence[tuple[str, str, str]]) -> list[str]:
        """(name, colour, dash) entries in rows under the axis title."""
        out = []
        column = (self.right - self.left) / 4
        for i, (name, colour, dash) in enumerate(items):
            x = self.left + (i % 4) * column
            y = HEIGHT + 8 + (i // 4) * LEGEND_ROW  # under the axis title's line
            dashes = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<line x1="{x:.1f}" x2="{x + 22:.1f}" y1="{y - 4:.1f}" y2="{y - 4:.1f}" '
                f'stroke="{colour}" stroke-width="3"{dashes}/>'
            )
            out.append(_text(x + 28, y, name, anchor="start"))
        return out


def wrap(label: str, width: int) -> list[str]:
    """A label in at most two lines of about `width` characters (words kept whole; a second
    line too long is cut with an ellipsis)."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        elif len(lines) < 2:
            lines.append(word)
        else:
            lines[-1] += " " + word
    if len(lines) == 2 and len(lines[1]) > width:
        lines[1] = lines[1][: max(width - 1, 1)].rstrip() + "…"
    return lines or [""]


def _x_labels(frame: _Frame, labels: Sequence[str], centres: Sequence[float]) -> list[str]:
    every = max(1, math.ceil(len(labels) / 12))  # at most about 12 labels
    room = (frame.right - frame.left) / max(len(labels), 1) * every
    width = max(int(room / 5.6), 4)  # characters of 10-pixel Arial in the room of one label
    out = []
    for i, (label, x) in enumerate(zip(labels, centres, strict=True)):
        if i % every:
            continue
        for j, line in enumerate(wrap(label, width)):
            out.append(_text(x, frame.bottom + 16 + 12 * j, line, size=10))
    return out


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    y_title: str,
    x_title: str,
    money: bool = False,
) -> str:
    """Lines over the category axis `labels` (months); the legend names every series that
    has a name (a second line of one kind, a lower limit, has none)."""
    values = [v for s in series for v in s.values if v is not None]
    named = [s for s in series if s.name]
    frame = _Frame(title, y_title, x_title, values, len(named), money)
    n = max(len(labels), 1)
    step = (frame.right - frame.left) / n
    centres = [frame.left + step * (i + 0.5) for i in range(len(labels))]
    description = "; ".join(
        f"{s.name}: "
        + ", ".join(
            f"{label} {tick_text(v, money) if money else f'{v:,.2f}'}"
            for label, v in zip(labels, s.values, strict=False)
            if v is not None
        )
        for s in named
    )
    out = frame.open(description)
    out += _x_labels(frame, labels, centres)
    for s in series:
        points = [
            (centres[i], frame.y(v)) for i, v in enumerate(s.values) if v is not None and i < n
        ]
        if not points:
            continue
        dashes = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{s.colour}" stroke-width="2"{dashes}/>'
        )
        if s.markers:
            out += [
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{s.colour}"/>' for x, y in points
            ]
    out += frame.legend([(s.name, s.colour, s.dash) for s in named])
    out.append("</svg>")
    return "".join(out)


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    y_title: str,
    x_title: str,
    above: tuple[str, str],
    below: tuple[str, str],
    money: bool = True,
) -> str:
    """One bar per label from zero: above zero in `above` = (name, colour), zero or below in
    `below`; both named in the legend."""
    frame = _Frame(title, y_title, x_title, [*values, 0.0], 2, money)
    n = max(len(labels), 1)
    step = (frame.right - frame.left) / n
    centres = [frame.left + step * (i + 0.5) for i in range(len(labels))]
    description = ", ".join(
        f"{label} {tick_text(v, money)}" for label, v in zip(labels, values, strict=True)
    )
    out = frame.open(description)
    out += _x_labels(frame, labels, centres)
    zero = frame.y(0.0)
    for x, value in zip(centres, values, strict=True):
        colour = above[1] if value > 0 else below[1]
        top, bottom = sorted((frame.y(value), zero))
        out.append(
            f'<rect x="{x - step * 0.3:.1f}" y="{top:.1f}" width="{step * 0.6:.1f}" '
            f'height="{max(bottom - top, 0.5):.1f}" fill="{colour}"/>'
        )
    out.append(
        f'<line x1="{frame.left}" x2="{frame.right}" y1="{zero:.1f}" y2="{zero:.1f}" '
        f'stroke="{TEXT}" stroke-width="1"/>'
    )
    out += frame.legend([(above[0], above[1], ""), (below[0], below[1], "")])
    out.append("</svg>")
    return "".join(out)
