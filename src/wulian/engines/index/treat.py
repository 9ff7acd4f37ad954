"""Outlier treatment of one indicator, as COINr does it (the JRC's composite-indicator tool).

Skewness and kurtosis are the sample statistics of Excel's SKEW and KURT (e1071 type 2). An
indicator passes when |skewness| < skew OR kurtosis < kurtosis, that is, it is treated only when
both are beyond their thresholds. Winsorisation then replaces the highest values (the lowest,
when the skew is negative) by the next value, one distinct value at a time, until the indicator
passes or `winmax` points have been changed. If it still fails, the original values are
log-transformed instead: ln(x − min + 0.01 × (max − min)) ("log_ct").

The statistics are updated from power sums as points change. The next value inwards is read from
the winmax + 1 lowest and highest values, found by one partition of the data; where ties run past
those, it is found by a pass over the data per point changed. Either way no step sorts the data.

Power sums are one compiled pass over the data (`kernels.power_sums`). The log transform goes
through the data a block at a time (`BLOCK` values): each block is still in the processor's
cache when its power sums are taken, so one read and one write also yield the statistics of the
transformed values.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from wulian.engines.index import kernels


@dataclass(frozen=True)
class Treatment:
    applied: str  # "none" | "winsorise" | "log_ct" | "log" | "sqrt" | "clip" | "skipped"
    changed: int  # points winsorised or clipped
    skew_before: float | None
    kurtosis_before: float | None
    skew_after: float | None
    kurtosis_after: float | None
    note: str = ""


BLOCK = 65_536  # values: 512 KiB, inside a core's cache
SAMPLE = 4_096  # values whose mean is the centre of the power sums


def _sample(values: np.ndarray) -> np.ndarray:
    """About SAMPLE values evenly spread over values: their mean is near enough to the mean to be
    the centre of power sums (the moments are taken about the true mean, see `_Sums.stats`)."""
    return values[:: max(1, values.size // SAMPLE)]


def _power_sums(values: np.ndarray, centre: float) -> list[float]:
    """The sums of the first four powers of values − centre."""
    sums = [0.0, 0.0, 0.0, 0.0]
    for start in range(0, values.size, BLOCK):
        _add_power_sums(sums, values[start : start + BLOCK], centre)
    return sums


def _add_power_sums(sums: list[float], block: np.ndarray, centre: float) -> None:
    """Add the power sums of one block (at most BLOCK values) to sums."""
    for p, s in enumerate(kernels.power_sums(block, centre)):
        sums[p] += s


def skew_kurtosis(values: np.ndarray) -> tuple[float, float] | None:
    """(skewness, excess kurtosis) as Excel's SKEW and KURT; None below four values or when all
    values are equal."""
    if values.size < 4:
        return None
    return _Sums.of(values).stats()


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

    def __init__(self, n: int, centre: float, sums: list[float]) -> None:
        self.n, self.c, self.s = n, centre, sums

    @classmethod
    def of(cls, values: np.ndarray) -> _Sums:
        centre = float(_sample(values).mean())
        return cls(values.size, centre, _power_sums(values, centre))

    def copy(self) -> _Sums:
        twin = copy.copy(self)
        twin.s = list(self.s)
        return twin

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


class _Unknown(Exception):
    """The extremes kept do not tell the next value inwards: the data must be passed over."""


class _Passes:
    """Winsorisation on a copy of the values, a pass over them for each point changed."""

    def __init__(self, values: np.ndarray) -> None:
        self.x = values.copy()
        self.lowest, self.highest = float(values.min()), float(values.max())

    def step(self, high: bool, current: float) -> tuple[float, int] | None:
        """(the next distinct value inwards of current, the points now at current), or None when
        current is the only value left; the points at current take the next value."""
        x = self.x
        # the next distinct value inwards: one pass, where a sort would cost n log n
        if high:
            replacement = float(np.max(x, where=x < current, initial=-np.inf))
        else:
            replacement = float(np.min(x, where=x > current, initial=np.inf))
        if not np.isfinite(replacement):
            return None
        mask = x == current
        x[mask] = replacement
        return replacement, int(np.count_nonzero(mask))

    def values(self, low: float, high: float) -> np.ndarray:
        return self.x


def _extreme(values: np.ndarray, k: int, high: bool) -> np.ndarray:
    """The k highest (lowest) values, in ascending order. Every value at or beyond the k-th
    highest (lowest) of a sample is a candidate (there are at least k of them), so only the
    candidates are partitioned: one comparison over the data, where a partition of all of it
    costs several times that."""
    sample = values[:: max(1, values.size // 4096)]
    if sample.size > 4 * k:
        at = sample.size - k if high else k - 1
        values = kernels.beyond(values, float(np.partition(sample, at)[at]), high)
    if high:
        return np.sort(np.partition(values, values.size - k)[values.size - k :])
    return np.sort(np.partition(values, k - 1)[:k])


class _Extremes:
    """Winsorisation from the winmax + 1 lowest and highest values alone (one partition of the
    data): the points at a cap are the original points beyond it, and the next value inwards is
    among the extremes kept unless ties run past them (then `_Unknown`)."""

    def __init__(self, values: np.ndarray, winmax: int) -> None:
        k = winmax + 1
        self.original = values
        self.high = _extreme(values, k, high=True)
        self.low = _extreme(values, k, high=False)
        self.lowest, self.highest = float(self.low[0]), float(self.high[-1])

    def step(self, high: bool, current: float) -> tuple[float, int]:
        if high:
            at = int(np.searchsorted(self.high, current, "left"))  # the first point at current
            if at == 0:
                raise _Unknown
            return float(self.high[at - 1]), self.high.size - at
        beyond = int(np.searchsorted(self.low, current, "right"))  # the points at current
        if beyond == self.low.size:
            raise _Unknown
        return float(self.low[beyond]), beyond

    def values(self, low: float, high: float) -> np.ndarray:
        clipped: np.ndarray = np.clip(self.original, low, high)
        return clipped


def winsorise(
    values: np.ndarray,
    *,
    skew: float,
    kurtosis: float,
    winmax: int,
    fallback: str,
    out: np.ndarray | None = None,
) -> tuple[np.ndarray, Treatment]:
    """values (no NaN) treated as COINr's default treatment does; the input is not changed (and
    is returned as it is when no treatment is needed). out: where a log transform is written,
    when it comes to that."""
    sums = _Sums.of(values) if values.size >= 4 else None
    before = sums.stats() if sums is not None else None
    if sums is None or before is None:
        note = "少于 4 个值或全部相同，未处理" if values.size else "没有值"
        return values, Treatment("skipped", 0, None, None, None, None, note)
    if _passes(before, skew, kurtosis):
        return values, Treatment("none", 0, *before, *before)
    done: _Done | None = None
    if 2 * (winmax + 1) < values.size:
        try:
            done = _winsorise(
                _Extremes(values, winmax), sums.copy(), values, skew, kurtosis, winmax
            )
        except _Unknown:
            done = None
    if done is None:
        done = _winsorise(_Passes(values), sums, values, skew, kurtosis, winmax)
    winsorised, total, stats, (lowest, highest) = done
    skew_after, kurtosis_after = stats or (None, None)
    treatment = Treatment("winsorise", total, *before, skew_after, kurtosis_after)
    if _passes(stats, skew, kurtosis):
        return winsorised(), treatment
    if fallback == "none":
        return winsorised(), replace(treatment, note=f"缩尾 {total} 个值后仍超出阈值")
    logged, after = _log_ct(values, out, lowest, highest)
    note = f"缩尾 {total} 个值后仍超出阈值，改用对数变换"
    skew_after, kurtosis_after = after or (None, None)
    return logged, Treatment("log_ct", 0, *before, skew_after, kurtosis_after, note)


_Done = tuple[Callable[[], np.ndarray], int, tuple[float, float] | None, tuple[float, float]]


def _winsorise(
    points: _Passes | _Extremes,
    sums: _Sums,
    values: np.ndarray,
    skew: float,
    kurtosis: float,
    winmax: int,
) -> _Done:
    """COINr's loop: (the values winsorised, made when asked for; the points changed; their
    statistics; the lowest and highest of values); sums are those of values, and change with
    them."""
    extremes = points.lowest, points.highest
    cap = {True: extremes[1], False: extremes[0]}  # each end's current extreme
    changed = {True: 0, False: 0}  # points now at the high (low) cap
    stats = sums.stats()
    while not _passes(stats, skew, kurtosis) and sum(changed.values()) < winmax:
        high = stats is None or stats[0] >= 0
        step = points.step(high, cap[high])
        if step is None:  # one distinct value left
            break
        replacement, count = step
        if not sums.move(cap[high], replacement, count):
            cap[high] = replacement
            sums = _Sums.of(points.values(cap[False], cap[True]))
        cap[high] = replacement
        changed[high] = count  # every point at the cap, including those moved before
        stats = sums.stats()
    return partial(points.values, cap[False], cap[True]), sum(changed.values()), stats, extremes


def log_ct(values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """ln(x − min + 0.01 × (max − min)): defined for any values, order kept; written into out
    where given (else a new array)."""
    return _log_ct(values, out, float(values.min()), float(values.max()))[0]


def _log_ct(
    values: np.ndarray, out: np.ndarray | None, lo: float, hi: float
) -> tuple[np.ndarray, tuple[float, float] | None]:
    """log_ct with the lowest and highest of values known, and the skewness and kurtosis of the
    result, taken block by block as it is written."""
    if out is None:
        out = np.empty_like(values)
    if hi == lo:
        out[...] = 0.0
        return out, None
    margin = 0.01 * (hi - lo)
    centre = float(np.log(_sample(values) - lo + margin).mean())
    sums = [0.0, 0.0, 0.0, 0.0]
    for start in range(0, values.size, BLOCK):
        block = out[start : start + BLOCK]  # changed in place: no temporaries
        np.subtract(values[start : start + BLOCK], lo, out=block)
        block += margin
        np.log(block, out=block)
        _add_power_sums(sums, block, centre)
    return out, _Sums(values.size, centre, sums).stats() if values.size >= 4 else None
