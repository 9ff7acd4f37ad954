"""Outlier treatment of one indicator, as COINr does it (the JRC's composite-indicator tool).

Skewness and kurtosis are the sample statistics of Excel's SKEW and KURT (e1071 type 2). An
indicator passes when |skewness| < skew OR kurtosis < kurtosis, that is, it is treated only when
both are beyond their thresholds. Winsorisation then replaces the highest values (the lowest,
when the skew is negative) by the next value, one distinct value at a time, until the indicator
passes or `winmax` points have been changed. If it still fails, the original values are
log-transformed instead: ln(x − min + 0.01 × (max − min)) ("log_ct").

The statistics are updated from power sums as points change, and the next value inwards is found
in one pass, so an indicator of a million values costs a few passes per point changed, not a sort
per step.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class Treatment:
    applied: str  # "none" | "winsorise" | "log_ct" | "log" | "sqrt" | "clip" | "skipped"
    changed: int  # points winsorised or clipped
    skew_before: float | None
    kurtosis_before: float | None
    skew_after: float | None
    kurtosis_after: float | None
    note: str = ""


def skew_kurtosis(values: np.ndarray) -> tuple[float, float] | None:
    """(skewness, excess kurtosis) as Excel's SKEW and KURT; None below four values or when all
    values are equal."""
    n = values.size
    if n < 4:
        return None
    d = values - values.mean()
    m2 = float(np.dot(d, d))
    d2 = np.multiply(d, d)
    return _moments(n, m2, float(np.dot(d2, d)), float(np.dot(d2, d2)))


def _moments(n: int, m2: float, m3: float, m4: float) -> tuple[float, float] | None:
    # m_p: sums of powers of deviations from the mean
    if m2 <= 0 or not np.isfinite(m2) or m2**2 == 0:  # no spread (or too little to measure)
        return None
    g1 = np.sqrt(n) * m3 / m2**1.5
    skew = g1 * np.sqrt(n * (n - 1)) / (n - 2)
    r = n * m4 / m2**2
    kurt = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    return float(skew), float(kurt)


def _passes(stats: tuple[float, float] | None, skew: float, kurtosis: float) -> bool:
    return stats is None or abs(stats[0]) < skew or stats[1] < kurtosis


class _Sums:
    """Power sums of x about a fixed centre, updated as values change."""

    def __init__(self, values: np.ndarray) -> None:
        self.n = values.size
        self.c = float(values.mean())
        d = values - self.c
        d2 = d * d
        self.s = [float(d.sum()), float(d2.sum()), float(np.dot(d2, d)), float(np.dot(d2, d2))]

    def move(self, old: float, new: float, count: int) -> bool:
        """Change count points from old to new; False when the sums lost their precision (the
        points removed outweighed the rest by many orders) and must be computed afresh."""
        a, b = old - self.c, new - self.c
        removed = count * a**4
        for p in range(4):
            self.s[p] += count * (b ** (p + 1) - a ** (p + 1))
        n, mean = self.n, self.s[0] / self.n
        variance = (self.s[1] - n * mean**2) / n
        # Moments about a centre far from the new mean cancel catastrophically.
        return self.s[3] > removed * 1e-6 and mean**2 <= 1e3 * variance

    def stats(self) -> tuple[float, float] | None:
        n = self.n
        mean = self.s[0] / n  # of d = x - c
        s1, s2, s3, s4 = self.s
        m2 = s2 - n * mean**2
        m3 = s3 - 3 * mean * s2 + 3 * mean**2 * s1 - n * mean**3
        m4 = s4 - 4 * mean * s3 + 6 * mean**2 * s2 - 4 * mean**3 * s1 + n * mean**4
        return _moments(n, m2, m3, m4)


def winsorise(
    values: np.ndarray, *, skew: float, kurtosis: float, winmax: int, fallback: str
) -> tuple[np.ndarray, Treatment]:
    """values (no NaN) treated as COINr's default treatment does; the input is not changed (and
    is returned as it is when no treatment is needed)."""
    sums = _Sums(values) if values.size >= 4 else None
    before = sums.stats() if sums is not None else None
    if sums is None or before is None:
        note = "少于 4 个值或全部相同，未处理" if values.size else "没有值"
        return values, Treatment("skipped", 0, None, None, None, None, note)
    if _passes(before, skew, kurtosis):
        return values, Treatment("none", 0, *before, *before)
    x = values.copy()
    cap = {True: float(x.max()), False: float(x.min())}  # the current extreme of each end
    changed = {True: 0, False: 0}  # points now at the high (low) cap
    stats: tuple[float, float] | None = before
    while not _passes(stats, skew, kurtosis) and sum(changed.values()) < winmax:
        high = stats is None or stats[0] >= 0
        current = cap[high]
        # the next distinct value inwards: one pass, where a sort would cost n log n
        if high:
            replacement = float(np.max(x, where=x < current, initial=-np.inf))
        else:
            replacement = float(np.min(x, where=x > current, initial=np.inf))
        if not np.isfinite(replacement):  # one distinct value left
            break
        mask = x == current
        count = int(np.count_nonzero(mask))
        precise = sums.move(current, replacement, count)
        x[mask] = replacement
        if not precise:
            sums = _Sums(x)
        cap[high] = replacement
        changed[high] = count  # every point at the cap, including those moved before
        stats = sums.stats()
    total = sum(changed.values())
    skew_after, kurtosis_after = stats or (None, None)
    done = Treatment("winsorise", total, *before, skew_after, kurtosis_after)
    if _passes(stats, skew, kurtosis):
        return x, done
    if fallback == "none":
        return x, replace(done, note=f"缩尾 {total} 个值后仍超出阈值")
    logged = log_ct(values)
    note = f"缩尾 {total} 个值后仍超出阈值，改用对数变换"
    return logged, _treatment("log_ct", 0, before, logged, note)


def _treatment(
    applied: str, changed: int, before: tuple[float, float], x: np.ndarray, note: str = ""
) -> Treatment:
    after = skew_kurtosis(x) or (None, None)
    return Treatment(applied, changed, before[0], before[1], after[0], after[1], note)


def log_ct(values: np.ndarray) -> np.ndarray:
    """ln(x − min + 0.01 × (max − min)): defined for any values, order kept."""
    lo, hi = float(values.min()), float(values.max())
    if hi == lo:
        return np.zeros_like(values)
    out = np.subtract(values, lo)  # one array, changed in place: no temporaries
    out += 0.01 * (hi - lo)
    logged: np.ndarray = np.log(out, out=out)
    return logged
