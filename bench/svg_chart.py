"""A line chart as a hand-written SVG: one line per series over a shared x axis, a log y axis, a legend.

No plotting library: the chart is a few dozen elements, and the SVG stays small, diffable and
readable at about 700 px wide. The y axis is logarithmic so that series of very different sizes
(a 400 MiB JVM and a 40 MiB script) share one chart, and a 10 % change is the same height for each.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

WIDTH, HEIGHT = 720, 440
LEFT, RIGHT, TOP, BOTTOM = 56, 190, 40, 46
COLORS = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
]


def _log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 ticks between ``low`` and ``high``."""
    ticks = []
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for mantissa in (1, 2, 5):
            value = mantissa * 10**exponent
            if low <= value <= high:
                ticks.append(value)
    return ticks


def _x_ticks(high: float) -> list[float]:
    step = next(s for s in (1, 2, 5, 10, 15, 30, 60, 120) if high / s <= 8)
    return [step * n for n in range(int(high // step) + 1)]


def line_chart(
    title: str,
    x: Sequence[float],
    series: dict[str, Sequence[float | None]],
    x_label: str,
    y_label: str,
    shade_until: float | None = None,
    shade_label: str = "",
) -> str:
    """The SVG text of a chart of ``series`` (name -> y per x; None leaves a gap) over ``x``.

    The y axis spans the values after ``shade_until`` (a warm-up's start-up values would squash
    the rest); lines are clipped to the plot.
    """
    start = shade_until or 0.0
    values = [v for ys in series.values() for at, v in zip(x, ys, strict=True) if at >= start and v and v > 0]
    low, high = min(values) / 1.3, max(values) * 1.3
    x_high = max(x) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(value: float) -> float:
        return LEFT + plot_w * value / x_high

    def py(value: float) -> float:
        return TOP + plot_h * (1 - (math.log(value) - math.log(low)) / (math.log(high) - math.log(low)))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<clipPath id="plot"><rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}"/></clipPath>',
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>',
    ]
    if shade_until:
        out.append(
            f'<rect x="{LEFT}" y="{TOP}" width="{px(min(shade_until, x_high)) - LEFT:.1f}" height="{plot_h}" '
            'fill="#eeeeee"/>'
        )
        out.append(f'<text x="{LEFT + 4}" y="{TOP + 14}" fill="#777">{escape(shade_label)}</text>')
    for tick in _log_ticks(low, high):
        y = py(tick)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>')
    for tick in _x_ticks(x_high):
        x_px = px(tick)
        out.append(f'<line x1="{x_px:.1f}" y1="{TOP + plot_h}" x2="{x_px:.1f}" y2="{TOP + plot_h + 5}" stroke="#333"/>')
        out.append(f'<text x="{x_px:.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">{tick:g}</text>')
    out += [
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/>',
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 8}" text-anchor="middle">{escape(x_label)}</text>',
        f'<text transform="translate(14 {TOP + plot_h / 2}) rotate(-90)" text-anchor="middle">{escape(y_label)}</text>',
    ]
    out.append(f'<text x="{LEFT + plot_w + 12}" y="{TOP + 8}" fill="#555">(last sample)</text>')
    for index, (name, ys) in enumerate(series.items()):
        color = COLORS[index % len(COLORS)]
        out += _polylines(x, ys, px, py, color)
        legend_y = TOP + 26 + index * 20
        last = next((v for v in reversed(ys) if v is not None), None)
        label = f"{name} ({last:,.0f})" if last is not None else name
        out.append(
            f'<line x1="{LEFT + plot_w + 12}" y1="{legend_y}" x2="{LEFT + plot_w + 32}" y2="{legend_y}" '
            f'stroke="{color}" stroke-width="3"/>'
        )
        out.append(f'<text x="{LEFT + plot_w + 38}" y="{legend_y + 4}">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _polylines(
    x: Sequence[float],
    ys: Sequence[float | None],
    px: Callable[[float], float],
    py: Callable[[float], float],
    color: str,
) -> list[str]:
    """One polyline per run of values without a gap."""
    runs: list[list[str]] = [[]]
    for x_value, y_value in zip(x, ys, strict=True):
        if y_value is None or y_value <= 0:
            runs.append([])
        else:
            runs[-1].append(f"{px(x_value):.1f},{py(y_value):.1f}")
    return [
        f'<polyline points="{" ".join(points)}" fill="none" stroke="{color}" stroke-width="1.8" '
        'clip-path="url(#plot)"/>'
        for points in runs
        if points
    ]
