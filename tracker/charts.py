"""Static SVG charts drawn in plain Python for the weekly and monthly reports.

Each function returns one self-contained ``<svg>`` element, ready to be inlined in a Markdown
page: no script, no style sheet, no web font, no link to anything outside the element (the
only ids are the chart's own ``<title>`` and ``<desc>``). Every label is XML-escaped, so a
hostile category name cannot break out of the picture.

Accessibility: the root carries ``role="img"`` and ``aria-labelledby`` pointing at a
``<title>`` (the chart's title) and a ``<desc>`` (every value written out as text, the same
data a screen reader would otherwise miss). Each bar or point also has its own ``<title>``,
which browsers show as a tooltip.

Output is deterministic: numbers are written with a fixed format, ids are derived from a
SHA-256 of the inputs, and nothing depends on the clock or the platform. Empty series draw a
framed "no data" note instead of dividing by zero. Labels in Chinese are fine: the text uses
the generic ``sans-serif`` family and widths are estimated with CJK characters counted as
one em and others as a little over half an em.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
import unicodedata
from collections.abc import Sequence
from typing import SupportsFloat

__all__ = ["PALETTE", "bar_chart", "line_chart", "stacked_bar_chart"]

PALETTE: tuple[str, ...] = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip
"""Tableau 10: distinguishable, and readable for the common colour-vision deficiencies."""

FONT = "sans-serif"
FONT_SIZE = 12
TITLE_SIZE = 14
TEXT_COLOR = "#333333"
GRID_COLOR = "#dddddd"
AXIS_COLOR = "#999999"

_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# ----------------------------------------------------------------------------- text


_DEFANG = str.maketrans({"=": "&#61;", "@": "&#64;", "(": "&#40;"})


def _esc(text: object) -> str:
    """XML-escape ``text`` for element content and quoted attributes.

    Characters XML 1.0 forbids (NUL and the other C0 controls) are dropped first, so the
    result is always well formed. ``=``, ``@`` and ``(`` are written as character
    references too: they read the same, but a label can then never put ``href=``,
    ``@import`` or ``url(`` into the markup, not even as escaped text.
    """
    return html.escape(_INVALID_XML.sub("", str(text)), quote=True).translate(_DEFANG)


def _char_em(ch: str) -> float:
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    if unicodedata.combining(ch):
        return 0.0
    return 0.6


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Estimated rendered width of ``text`` in pixels (CJK one em, others 0.6 em)."""
    return sum(_char_em(ch) for ch in text) * size


def _fit(text: str, max_px: float, size: float = FONT_SIZE) -> str:
    """``text`` cut with an ellipsis so that it fits in ``max_px``."""
    if text_width(text, size) <= max_px:
        return text
    out = ""
    budget = max_px - text_width("…", size)
    for ch in text:
        if text_width(out + ch, size) > budget:
            break
        out += ch
    return out + "…"


def fmt_number(value: float) -> str:
    """Fixed formatting for values shown to people: integers bare, others with one decimal."""
    value = _finite(value)
    text = str(round(value)) if abs(value - round(value)) < 1e-9 else f"{value:.1f}"
    return "0" if text in ("-0", "-0.0") else text


def _c(value: float) -> str:
    """A coordinate: one decimal, no negative zero."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _finite(value: object) -> float:
    if not isinstance(value, SupportsFloat | str):
        return 0.0
    try:
        number = float(value)
    except ValueError:
        return 0.0
    return number if math.isfinite(number) else 0.0


def _chart_id(kind: str, *parts: object) -> str:
    digest = hashlib.sha256(repr((kind, *parts)).encode("utf-8")).hexdigest()
    return f"chart-{digest[:12]}"


def _value_text(value: float, unit: str) -> str:
    return f"{fmt_number(value)}{unit}"


# ----------------------------------------------------------------------------- frame


def _open(
    chart_id: str, width: float, height: float, title: str, desc: str, *, show_title: bool = True
) -> list[str]:
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{_c(width)}" '
        f'height="{_c(height)}" viewBox="0 0 {_c(width)} {_c(height)}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="{FONT}" '
        f'font-size="{FONT_SIZE}" class="report-chart">',
        f'<title id="{chart_id}-title">{_esc(title)}</title>',
        f'<desc id="{chart_id}-desc">{_esc(desc)}</desc>',
        f'<rect x="0" y="0" width="{_c(width)}" height="{_c(height)}" fill="#ffffff"/>',
    ]
    if show_title:
        lines.append(
            f'<text x="8" y="{_c(TITLE_SIZE + 4)}" font-size="{TITLE_SIZE}" font-weight="bold" '
            f'fill="{TEXT_COLOR}">{_esc(_fit(title, width - 16, TITLE_SIZE))}</text>'
        )
    return lines


def _empty_note(width: float, y: float, height: float, empty: str) -> list[str]:
    return [
        f'<rect x="8" y="{_c(y)}" width="{_c(width - 16)}" height="{_c(height)}" fill="none" '
        f'stroke="{GRID_COLOR}"/>',
        f'<text x="{_c(width / 2)}" y="{_c(y + height / 2 + FONT_SIZE / 3)}" '
        f'text-anchor="middle" fill="{AXIS_COLOR}">{_esc(empty)}</text>',
    ]


def _open_with_legend(
    chart_id: str,
    width: float,
    height: float,
    title: str,
    desc: str,
    names: Sequence[str],
    fills: Sequence[str],
    legend_w: float,
) -> list[str]:
    """The chart's opening lines and, when it has series, their legend under the title."""
    lines = _open(chart_id, width, height, title, desc)
    if names:
        lines += _legend(names, fills, 8, TITLE_SIZE + 4 + FONT_SIZE + 8, legend_w)
    return lines


def _empty_chart(lines: list[str], width: float, height: float, top: float, bottom: float, empty: str) -> str:
    """A chart with nothing to plot: its frame says so."""
    return "\n".join([*lines, *_empty_note(width, top, max(height - top - bottom, 10.0), empty), "</svg>"])


def _legend(
    names: Sequence[str], colors: Sequence[str], x: float, y: float, width: float
) -> list[str]:
    """One row (wrapping when needed) of colour swatches and series names."""
    out: list[str] = []
    cx, cy = x, y
    for name, color in zip(names, colors, strict=True):
        shown = _fit(name, 160)
        item_w = 16 + text_width(shown) + 14
        if cx > x and cx + item_w > x + width:
            cx, cy = x, cy + FONT_SIZE + 6
        out.append(
            f'<rect x="{_c(cx)}" y="{_c(cy - 10)}" width="10" height="10" fill="{color}"/>'
            f'<text x="{_c(cx + 14)}" y="{_c(cy)}" fill="{TEXT_COLOR}">{_esc(shown)}</text>'
        )
        cx += item_w
    return out


def _legend_height(names: Sequence[str], width: float) -> float:
    rows, cx = 1, 0.0
    for name in names:
        item_w = 16 + text_width(_fit(name, 160)) + 14
        if cx > 0 and cx + item_w > width:
            rows, cx = rows + 1, 0.0
        cx += item_w
    return rows * (FONT_SIZE + 6)


def _colors(n: int, colors: Sequence[str] | None) -> list[str]:
    if colors:
        return [_safe_color(colors[i % len(colors)]) for i in range(n)]
    return [PALETTE[i % len(PALETTE)] for i in range(n)]


_COLOR_RE = re.compile(r"^#?[0-9a-fA-F]{6}$")


def _safe_color(color: str) -> str:
    """Only ``#rrggbb`` colours pass; anything else (``url(...)``, names) becomes grey."""
    if _COLOR_RE.match(color):
        return color if color.startswith("#") else f"#{color}"
    return AXIS_COLOR


def _label_margin(labels: Sequence[str], width: float) -> float:
    widest = max((text_width(label) for label in labels), default=0.0)
    return min(max(widest + 12, 40.0), width * 0.4)


# ----------------------------------------------------------------------------- charts


def bar_chart(
    series: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str = "",
    width: int = 360,
    height: int | None = None,
    color: str = PALETTE[0],
    empty: str = "no data",
) -> str:
    """Horizontal bars, one per ``(label, value)``, in the order given.

    ``height`` defaults to what the rows need. Negative values grow left from a zero line;
    non-finite values count as zero. ``empty`` is shown when there are no values.
    """
    items = [(str(label), _finite(value)) for label, value in series]
    chart_id = _chart_id("bar", items, title, unit, width, height, color)
    desc = "; ".join(f"{label}: {_value_text(v, unit)}" for label, v in items) or empty
    top, row_h, bar_h, bottom = TITLE_SIZE + 16, 22.0, 14.0, 8.0
    if height is None:
        height = int(top + max(len(items), 1) * row_h + bottom)
    lines = _open(chart_id, width, height, title, desc)
    if not items:
        lines += _empty_note(width, top, height - top - bottom, empty)
        return "\n".join([*lines, "</svg>"])
    label_w = _label_margin([label for label, _ in items], width)
    value_w = max(text_width(_value_text(v, unit)) for _, v in items) + 8
    x0, x1 = label_w, max(width - value_w - 8, label_w + 1)
    lo = min(0.0, *(v for _, v in items))
    hi = max(0.0, *(v for _, v in items))
    span = (hi - lo) or 1.0
    row_h = max(min(row_h, (height - top - bottom) / len(items)), 4.0)
    bar_h = min(bar_h, row_h - 2)
    zero = x0 + (0 - lo) / span * (x1 - x0)
    fill = _safe_color(color)
    lines.append(
        f'<line x1="{_c(zero)}" y1="{_c(top - 2)}" x2="{_c(zero)}" '
        f'y2="{_c(top + row_h * len(items))}" stroke="{AXIS_COLOR}"/>'
    )
    for i, (label, value) in enumerate(items):
        y = top + i * row_h
        left = x0 + (min(value, 0.0) - lo) / span * (x1 - x0)
        bar_w = abs(value) / span * (x1 - x0)
        text_y = y + (row_h + FONT_SIZE) / 2 - 2
        lines.append(
            f"<g><title>{_esc(label)}: {_esc(_value_text(value, unit))}</title>"
            f'<rect x="{_c(left)}" y="{_c(y + (row_h - bar_h) / 2)}" width="{_c(bar_w)}" '
            f'height="{_c(bar_h)}" fill="{fill}"/></g>'
        )
        lines.append(
            f'<text x="{_c(x0 - 6)}" y="{_c(text_y)}" text-anchor="end" fill="{TEXT_COLOR}">'
            f"{_esc(_fit(label, label_w - 10))}</text>"
        )
        lines.append(
            f'<text x="{_c(max(left + bar_w, zero) + 4)}" y="{_c(text_y)}" fill="{TEXT_COLOR}">'
            f"{_esc(_value_text(value, unit))}</text>"
        )
    return "\n".join([*lines, "</svg>"])


def stacked_bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str,
    unit: str = "",
    width: int = 360,
    height: int | None = None,
    colors: Sequence[str] | None = None,
    empty: str = "no data",
) -> str:
    """Horizontal stacked bars: one bar per category, one segment per series.

    ``series`` is ``[(name, values)]`` with one value per category (missing values count as
    zero, negative and non-finite values too). The total is written at the end of each bar.
    ``colors`` are ``#rrggbb`` strings, one per series (default: :data:`PALETTE`).
    """
    cats = [str(c) for c in categories]
    names = [str(name) for name, _ in series]
    grid = [
        [max(_finite(values[i]) if i < len(values) else 0.0, 0.0) for i in range(len(cats))]
        for _, values in series
    ]
    fills = _colors(len(names), colors)
    chart_id = _chart_id("stacked", cats, names, grid, title, unit, width, height, fills)
    totals = [sum(col) for col in zip(*grid, strict=True)] if grid else [0.0] * len(cats)
    desc = (
        "; ".join(
            f"{cat}: "
            + ", ".join(f"{name} {_value_text(grid[s][i], unit)}" for s, name in enumerate(names))
            for i, cat in enumerate(cats)
        )
        if cats and names
        else empty
    )
    legend_w = width - 16
    legend_h = _legend_height(names, legend_w) if names else 0.0
    top, row_h, bar_h, bottom = TITLE_SIZE + 14 + legend_h + 6, 22.0, 14.0, 8.0
    if height is None:
        height = int(top + max(len(cats), 1) * row_h + bottom)
    lines = _open_with_legend(chart_id, width, height, title, desc, names, fills, legend_w)
    if not cats or not names:
        return _empty_chart(lines, width, height, top, bottom, empty)
    label_w = _label_margin(cats, width)
    value_w = max(text_width(_value_text(t, unit)) for t in totals) + 8
    x0, x1 = label_w, max(width - value_w - 8, label_w + 1)
    span = max(totals) or 1.0
    row_h = max(min(row_h, (height - top - bottom) / len(cats)), 4.0)
    bar_h = min(bar_h, row_h - 2)
    lines.append(
        f'<line x1="{_c(x0)}" y1="{_c(top - 2)}" x2="{_c(x0)}" '
        f'y2="{_c(top + row_h * len(cats))}" stroke="{AXIS_COLOR}"/>'
    )
    for i, cat in enumerate(cats):
        y = top + i * row_h
        x = x0
        for s, name in enumerate(names):
            value = grid[s][i]
            seg_w = value / span * (x1 - x0)
            if value > 0:
                lines.append(
                    f"<g><title>{_esc(cat)} · {_esc(name)}: {_esc(_value_text(value, unit))}"
                    f'</title><rect x="{_c(x)}" y="{_c(y + (row_h - bar_h) / 2)}" '
                    f'width="{_c(seg_w)}" height="{_c(bar_h)}" fill="{fills[s]}"/></g>'
                )
            x += seg_w
        text_y = y + (row_h + FONT_SIZE) / 2 - 2
        lines.append(
            f'<text x="{_c(x0 - 6)}" y="{_c(text_y)}" text-anchor="end" fill="{TEXT_COLOR}">'
            f"{_esc(_fit(cat, label_w - 10))}</text>"
        )
        lines.append(
            f'<text x="{_c(x + 4)}" y="{_c(text_y)}" fill="{TEXT_COLOR}">'
            f"{_esc(_value_text(totals[i], unit))}</text>"
        )
    return "\n".join([*lines, "</svg>"])


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 × 10ⁿ) covering ``lo..hi``; ``[0, 1]`` if flat."""
    lo, hi = _finite(lo), _finite(hi)
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        hi = lo + 1
    raw = (hi - lo) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.floor(lo / step) * step
    ticks = [round(first, 10)]
    while ticks[-1] < hi - step * 1e-9:
        ticks.append(round(first + len(ticks) * step, 10))
    return ticks


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    unit: str = "",
    width: int = 360,
    height: int = 280,
    colors: Sequence[str] | None = None,
    empty: str = "no data",
) -> str:
    """Lines over an ordered axis (weeks, months): ``series`` is ``[(name, values)]``.

    Values line up with ``x_labels``; ``None`` (or a missing value) leaves a gap in the line.
    The y axis starts at zero (or below, for negative values) and uses round ticks.
    """
    xs = [str(x) for x in x_labels]
    names = [str(name) for name, _ in series]
    grid: list[list[float | None]] = [
        [
            (_finite(values[i]) if values[i] is not None else None) if i < len(values) else None
            for i in range(len(xs))
        ]
        for _, values in series
    ]
    fills = _colors(len(names), colors)
    chart_id = _chart_id("line", xs, names, grid, title, unit, width, height, fills)
    present = [v for row in grid for v in row if v is not None]
    desc = (
        "; ".join(
            f"{name}: "
            + ", ".join(
                f"{x} {_value_text(v, unit) if v is not None else '-'}"
                for x, v in zip(xs, grid[s], strict=True)
            )
            for s, name in enumerate(names)
        )
        if present
        else empty
    )
    legend_w = width - 16
    legend_h = _legend_height(names, legend_w) if names else 0.0
    top = TITLE_SIZE + 14 + legend_h + 10
    bottom = FONT_SIZE + 14
    lines = _open_with_legend(chart_id, width, height, title, desc, names, fills, legend_w)
    if not xs or not present:
        return _empty_chart(lines, width, height, top, bottom, empty)
    ticks = nice_ticks(min(0.0, *present), max(0.0, *present))
    lo, hi = ticks[0], ticks[-1]
    tick_w = max(text_width(_value_text(t, unit)) for t in ticks)
    half_first, half_last = text_width(xs[0]) / 2, text_width(xs[-1]) / 2
    x0 = max(tick_w + 14, half_first + 8)
    x1 = max(width - max(16, min(half_last + 8, width / 4)), x0 + 1)
    y0, y1 = height - bottom, top  # y0: bottom of the plot, y1: top
    span = (hi - lo) or 1.0

    def py(v: float) -> float:
        return y0 - (v - lo) / span * (y0 - y1)

    def px(i: int) -> float:
        return (x0 + x1) / 2 if len(xs) == 1 else x0 + i * (x1 - x0) / (len(xs) - 1)

    for t in ticks:
        lines.append(
            f'<line x1="{_c(x0)}" y1="{_c(py(t))}" x2="{_c(x1)}" y2="{_c(py(t))}" '
            f'stroke="{GRID_COLOR}"/>'
            f'<text x="{_c(x0 - 6)}" y="{_c(py(t) + FONT_SIZE / 3)}" text-anchor="end" '
            f'fill="{TEXT_COLOR}">{_esc(_value_text(t, unit))}</text>'
        )
    slot = (x1 - x0) / max(len(xs) - 1, 1)
    widest = max(text_width(x) for x in xs)
    every = max(1, math.ceil((widest + 8) / slot)) if len(xs) > 1 else 1
    for i, x in enumerate(xs):
        if i % every == 0:
            lines.append(
                f'<text x="{_c(px(i))}" y="{_c(y0 + FONT_SIZE + 6)}" text-anchor="middle" '
                f'fill="{TEXT_COLOR}">{_esc(_fit(x, max(slot * every - 4, 24)))}</text>'
            )
    lines.append(
        f'<line x1="{_c(x0)}" y1="{_c(y0)}" x2="{_c(x1)}" y2="{_c(y0)}" stroke="{AXIS_COLOR}"/>'
    )
    for s, name in enumerate(names):
        run: list[str] = []
        runs: list[list[str]] = []
        for i, v in enumerate(grid[s]):
            if v is None:
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(f"{_c(px(i))},{_c(py(v))}")
        if run:
            runs.append(run)
        for points in runs:
            if len(points) > 1:
                lines.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{fills[s]}" '
                    f'stroke-width="2"/>'
                )
        for i, v in enumerate(grid[s]):
            if v is None:
                continue
            lines.append(
                f"<g><title>{_esc(name)} · {_esc(xs[i])}: {_esc(_value_text(v, unit))}</title>"
                f'<circle cx="{_c(px(i))}" cy="{_c(py(v))}" r="3" fill="{fills[s]}"/></g>'
            )
    return "\n".join([*lines, "</svg>"])
