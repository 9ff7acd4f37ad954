"""The score histogram of a run: bins that follow the distribution, at most MAX_BINS of them.

    histogram([63.2, 88.0, 102.5, …], top=200.0)   # [("60–70", 1), ("70–80", 0), …]

The bin width is the Freedman–Diaconis width (2 × IQR / ∛n; Sturges' rule when the IQR is 0),
widened to a round number (1, 2, 2.5 or 5 × 10^k) so that the bins cover the scores in at most
MAX_BINS. When every item is capped the scores cannot pass `top`, and the bins span the scores
as they are; when they are not, the firms far above the rest (past Q3 + 3 × IQR) share one
open last bin (“≥ x”) instead of stretching the scale for everyone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

MAX_BINS = 30
STEPS = (1.0, 2.0, 2.5, 5.0)


def histogram(
    scores: Sequence[float], *, top: float | None = None, max_bins: int = MAX_BINS
) -> list[tuple[str, int]]:
    """(label, firms) per bin, low to high; top is the highest score the spec allows (None when
    some item has no cap)."""
    xs = np.sort(np.asarray([s for s in scores if s is not None and math.isfinite(s)], float))
    if not xs.size:
        return []
    low, high = float(xs[0]), float(xs[-1])
    if top is not None:
        high = min(high, top)
    q1, q3 = (float(q) for q in np.percentile(xs, [25, 75]))
    iqr = q3 - q1
    body = high if top is not None or iqr <= 0 else min(high, q3 + 3 * iqr)
    open_end = body < high
    slots = max(1, max_bins - (1 if open_end else 0))
    if body - low <= 0:
        return [(_number(low), int(xs.size))]
    if iqr > 0:
        width = 2 * iqr / xs.size ** (1 / 3)
    else:  # Sturges
        width = (body - low) / (math.ceil(math.log2(xs.size)) + 1)
    width, start, count = _fit(low, body, max(width, (body - low) / slots), slots)
    edges = [_round(start + i * width) for i in range(count + 1)]
    # each bin holds [a, b); the last holds its upper edge too, unless an open bin follows
    places = np.searchsorted(np.asarray(edges), xs, side="right") - 1
    out: list[tuple[str, int]] = []
    for i in range(count):
        inside = places == i
        if i == count - 1 and not open_end:
            inside = inside | (places >= count)
        out.append((f"{_number(edges[i])}–{_number(edges[i + 1])}", int(inside.sum())))
    if open_end:
        out.append((f"≥ {_number(edges[-1])}", int((places >= count).sum())))
    return out


def _fit(low: float, high: float, width: float, slots: int) -> tuple[float, float, int]:
    """The smallest round width ≥ width whose bins, starting at a multiple of it, cover
    [low, high] in at most slots: (width, start, bins)."""
    exponent = math.floor(math.log10(width))
    while True:
        for step in STEPS:
            nice = step * 10.0**exponent
            if nice < width * (1 - 1e-12):
                continue
            start = math.floor(low / nice) * nice
            count = max(1, math.ceil((high - start) / nice - 1e-9))
            if count <= slots:
                return nice, start, count
        exponent += 1


def _round(x: float) -> float:
    return float(f"{x:.10g}")


def _number(x: float) -> str:
    return f"{x:,.10g}"
