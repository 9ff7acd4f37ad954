"""Charts drawn on the server as inline SVG (no script, no network): the portrait's radar and the
rank intervals of the sensitivity view."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Axis:
    label: str
    value: float | None  # 0–100
    reference: float | None  # 0–100


def radar(
    axes: Sequence[Axis], *, size: int = 320, name: str = "本企业", ref: str = "阶段中位数"
) -> str:
    """A radar of axes (0–100): the firm's polygon over the reference polygon."""
    if len(axes) < 3:
        return ""
    centre = size / 2
    radius = size / 2 - 56

    def point(i: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / len(axes)
        r = radius * max(0.0, min(100.0, value)) / 100
        return centre + r * math.cos(angle), centre + r * math.sin(angle)

    def polygon(values: list[float], css: str) -> str:
        points = " ".join(
            f"{x:.1f},{y:.1f}" for x, y in (point(i, v) for i, v in enumerate(values))
        )
        return f'<polygon class="{css}" points="{points}"/>'

    parts = [
        f'<svg class="chart radar" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="{escape(name)}与{escape(ref)}对比">'
    ]
    for level in (25, 50, 75, 100):
        parts.append(polygon([level] * len(axes), "grid"))
    for i, axis in enumerate(axes):
        x, y = point(i, 100)
        parts.append(f'<line class="grid" x1="{centre}" y1="{centre}" x2="{x:.1f}" y2="{y:.1f}"/>')
        lx, ly = point(i, 122)
        anchor = "middle" if abs(lx - centre) < 8 else ("start" if lx > centre else "end")
        parts.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" dominant-baseline="middle">'
            f"{escape(axis.label)}</text>"
        )
    parts.append(polygon([a.reference or 0.0 for a in axes], "reference"))
    parts.append(polygon([a.value or 0.0 for a in axes], "subject"))
    parts.append(
        f'<g class="legend"><rect class="subject" x="8" y="{size - 22}" width="12" height="12"/>'
        f'<text x="24" y="{size - 12}">{escape(name)}</text>'
        f'<rect class="reference" x="110" y="{size - 22}" width="12" height="12"/>'
        f'<text x="126" y="{size - 12}">{escape(ref)}</text></g>'
    )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Interval:
    label: str
    rank: float
    low: float  # 5% rank
    median: float
    high: float  # 95% rank


def intervals(rows: Sequence[Interval], *, worst: float, width: int = 720) -> str:
    """One line per unit from its 5% to its 95% rank, a dot at the median and a tick at its rank;
    rank 1 on the left."""
    if not rows:
        return ""
    row_height = 18
    left, right, top = 230, 20, 28
    height = top + row_height * len(rows) + 10
    span = max(worst - 1, 1.0)

    def x(rank: float) -> float:
        return left + (width - left - right) * (rank - 1) / span

    parts = [
        f'<svg class="chart intervals" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="排名区间（5%–95%）">'
    ]
    for tick in _ticks(worst):
        parts.append(
            f'<line class="grid" x1="{x(tick):.1f}" y1="{top - 6}" x2="{x(tick):.1f}" '
            f'y2="{height - 8}"/><text x="{x(tick):.1f}" y="{top - 10}" text-anchor="middle">'
            f"{tick:g}</text>"
        )
    for i, row in enumerate(rows):
        y = top + row_height * i + row_height / 2
        parts.append(
            f'<text x="{left - 8}" y="{y:.1f}" text-anchor="end" dominant-baseline="middle">'
            f"{escape(row.label)}</text>"
            f'<line class="span" x1="{x(row.low):.1f}" y1="{y:.1f}" x2="{x(row.high):.1f}" '
            f'y2="{y:.1f}"><title>{escape(row.label)}：排名 {row.rank:g}，区间 {row.low:g}–'
            f"{row.high:g}</title></line>"
            f'<circle class="median" cx="{x(row.median):.1f}" cy="{y:.1f}" r="3.5"/>'
            f'<line class="nominal" x1="{x(row.rank):.1f}" y1="{y - 6:.1f}" '
            f'x2="{x(row.rank):.1f}" y2="{y + 6:.1f}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _ticks(worst: float) -> list[float]:
    step = 10 ** max(0, math.floor(math.log10(max(worst, 1))))
    if worst / step < 4:
        step = max(1, step // 2)
    return [1.0] + [float(t) for t in range(step, int(worst) + 1, step) if t > 1]
