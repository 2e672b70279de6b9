"""Small, accessible SVG charts drawn on the server: no JavaScript, no CDN, so the
dashboard and the static report work offline and in any browser.

Each chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>``; each mark has its
own ``<title>`` (a tooltip and a screen-reader label) and ``data-*`` attributes naming the
cell it shows. A suppressed cell draws no mark: a bar reads "fewer than k", a line has a gap.
The tables under the charts carry the same numbers as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from itertools import count

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")
_ids = count(1)


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    value: int | None  # None: suppressed


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    values: Sequence[int | None]


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _nice_max(value: int) -> int:
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if value <= step:
            return step
    return ((value // 10000) + 1) * 10000


def bar_chart(
    title: str, bars: Sequence[Bar], *, family: str, period: str, role: str, k: int
) -> str:
    """Horizontal bars, one per key."""
    chart_id = f"chart-{next(_ids)}"
    row_h, label_w, bar_w, pad = 26, 230, 360, 8
    height = max(1, len(bars)) * row_h + 2 * pad
    width = label_w + bar_w + 90
    top = _nice_max(max((b.value or 0 for b in bars), default=0))
    shown = [b for b in bars if b.value is not None]
    desc = (
        "; ".join(
            f"{b.label}: {b.value}" if b.value is not None else f"{b.label}: fewer than {k}"
            for b in bars
        )
        or "nothing to show"
    )
    parts = [
        f'<svg class="chart bar-chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'data-family="{_attr(family)}" data-period="{_attr(period)}" data-role="{_attr(role)}">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>',
    ]
    for i, bar in enumerate(bars):
        y = pad + i * row_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y + row_h * 0.65:.1f}" text-anchor="end" '
            f'class="axis-label">{escape(bar.label)}</text>'
        )
        if bar.value is None:
            parts.append(
                f'<text x="{label_w + 4}" y="{y + row_h * 0.65:.1f}" class="suppressed" '
                f'data-key="{_attr(bar.key)}" data-suppressed="true">fewer than {k}</text>'
            )
            continue
        length = 0 if top == 0 else bar.value / top * bar_w
        parts.append(
            f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{length:.1f}" '
            f'height="{row_h - 8}" fill="{PALETTE[0]}" data-key="{_attr(bar.key)}" '
            f'data-value="{bar.value}"><title>{escape(bar.label)}: {bar.value}</title></rect>'
        )
        parts.append(
            f'<text x="{label_w + length + 6:.1f}" y="{y + row_h * 0.65:.1f}" '
            f'class="value">{bar.value}</text>'
        )
    if not shown and not bars:
        parts.append(f'<text x="{pad}" y="{pad + 14}">Nothing to show yet.</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    title: str,
    columns: Sequence[str],
    column_labels: Sequence[str],
    series: Sequence[Series],
    *,
    family: str,
    role: str,
    k: int,
) -> str:
    """One line per series over ``columns``; suppressed points are gaps."""
    chart_id = f"chart-{next(_ids)}"
    left, right, top_pad, bottom = 48, 70, 16, 70
    plot_w = max(240, 46 * len(columns))
    plot_h = 220
    legend_h = 20 * len(series)
    width, height = left + plot_w + right, top_pad + plot_h + bottom + legend_h
    top = _nice_max(max((v or 0 for s in series for v in s.values), default=0))

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / max(1, len(columns)))

    def y(value: int) -> float:
        return top_pad + plot_h - (0 if top == 0 else value / top * plot_h)

    desc_parts = []
    for s in series:
        points = ", ".join(
            f"{lab} {v if v is not None else f'fewer than {k}'}"
            for lab, v in zip(column_labels, s.values, strict=True)
        )
        desc_parts.append(f"{s.label}: {points}")
    parts = [
        f'<svg class="chart line-chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'data-family="{_attr(family)}" data-role="{_attr(role)}">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape("; ".join(desc_parts) or "nothing to show")}</desc>',
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" '
        f'y2="{top_pad + plot_h}" class="axis"/>',
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{top_pad + plot_h}" class="axis"/>',
    ]
    for tick in (0, top // 2, top):
        parts.append(
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" '
            f'class="axis-label">{tick}</text>'
        )
    for i, label in enumerate(column_labels):
        parts.append(
            f'<text transform="translate({x(i):.1f},{top_pad + plot_h + 12}) rotate(40)" '
            f'class="axis-label">{escape(label)}</text>'
        )
    for n, s in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(s.values):
            if value is None:
                runs.append([])
                continue
            runs[-1].append((x(i), y(value)))
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="4" fill="{colour}" '
                f'class="point" data-key="{_attr(s.key)}" data-period="{_attr(columns[i])}" '
                f'data-value="{value}"><title>{escape(s.label)}, {escape(column_labels[i])}: '
                f"{value}</title></circle>"
            )
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
                parts.append(
                    f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
                )
        ly = top_pad + plot_h + bottom + 20 * n
        parts.append(
            f'<rect x="{left}" y="{ly}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{left + 18}" y="{ly + 11}" class="legend">{escape(s.label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
