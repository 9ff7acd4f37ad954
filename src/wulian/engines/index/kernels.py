"""The stages' inner loops, compiled with Numba: each goes through the data once, where the same
arithmetic in NumPy makes a pass, and often a temporary array, per operation.

They take plain arrays and numbers; NaN is a missing value, as in the stages. The arithmetic is
done in the order of the NumPy it replaces, so results are the same to the last bit (the power
sums excepted, see `power_sums`). They let go of the interpreter lock, so the stages can run
indicators side by side on threads, and are compiled once per machine and kept on disk (in the
package's __pycache__, or Numba's cache directory where that cannot be written).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

_compiled = numba.njit(nogil=True, cache=True)
# sums whose terms may be added in any order: the compiler adds them in vector lanes
_summed = numba.njit(nogil=True, cache=True, fastmath={"reassoc"})

RANK_TIES = {"ordinal": 0, "min": 1, "dense": 2}


def power_sums(x: np.ndarray, centre: float) -> tuple[float, float, float, float]:
    """The sums of (x − centre) to the powers 1 to 4. They are added in vector lanes, not one
    by one, so the last bits may differ from NumPy's sums (which add pairwise)."""
    s1, s2, s3, s4 = _power_sums(x, centre)
    return float(s1), float(s2), float(s3), float(s4)


def weighted_sum(
    columns: list[np.ndarray], weights: list[float], divisor: float, out: np.ndarray
) -> int:
    """Into out: (Σ weight × column) / divisor unit by unit, the terms added in order from 0.
    Returns how many units it left NaN (a missing term, or infinities that cancel)."""
    arrays = tuple(np.ascontiguousarray(c, dtype=np.float64) for c in columns)
    return int(_weighted_sum(arrays, np.asarray(weights, dtype=np.float64), divisor, out))


def rescale(
    x: np.ndarray,
    out: np.ndarray,
    origin: float,
    rising: bool,
    span: float,
    scale: float,
    low: float,
) -> None:
    """Into out: low + (x − origin) / span × scale (rising), or low + (origin − x) / span ×
    scale."""
    _rescale(x, out, origin, rising, span, scale, low)


def present(x: np.ndarray, out: np.ndarray) -> int:
    """Copy the values of x that are not missing, in order, to the start of out (which is as
    long as x); how many there are."""
    return int(_present(x, out))


def fill_missing(x: np.ndarray, out: np.ndarray, value: float) -> None:
    """Into out: x, with value for each missing value."""
    _fill_missing(x, out, value)


def gather(values: np.ndarray, valid: np.ndarray, offset: int, rows: np.ndarray) -> np.ndarray:
    """values[offset + rows], with NaN where the validity bitmap valid has a 0 at offset + row
    (Arrow's layout: bit i is bit i % 8, from the lowest, of byte i // 8). An empty valid: every
    value is valid."""
    out = np.empty(rows.size)
    _gather(values, valid, offset, rows, out)
    return out


def beyond(x: np.ndarray, threshold: float, high: bool) -> np.ndarray:
    """The values of x at or above threshold (high), or at or below it, in their order."""
    return _beyond(x, threshold, high)  # type: ignore[no-any-return]


def ranks(x: np.ndarray, order: np.ndarray, ties: str, out: np.ndarray) -> None:
    """Into out, at each value's position: the rank of each value of x that is not NaN. order
    is x's positions from first place to last, NaN at the end, equal values next to each other.
    ties: "ordinal" (equal values ranked in their order in order), "min" (all at the place of
    the first) or "dense" (places counted by distinct values)."""
    _ranks(x, order, RANK_TIES[ties], out)


# ---------------------------------------------------------------- compiled


@_summed
def _power_sums(x: Any, centre: float) -> Any:
    s1 = s2 = s3 = s4 = 0.0
    for i in range(x.size):  # by index: a loop over the array's iterator is not vectorised
        d = x[i] - centre
        d2 = d * d
        s1 += d
        s2 += d2
        s3 += d2 * d
        s4 += d2 * d2
    return s1, s2, s3, s4


@_compiled
def _weighted_sum(columns: Any, weights: Any, divisor: float, out: Any) -> int:
    missing = 0
    for i in range(out.size):
        total = 0.0
        for k in range(len(columns)):
            total += columns[k][i] * weights[k]
        total /= divisor
        out[i] = total
        if total != total:
            missing += 1
    return missing


@_compiled
def _rescale(
    x: Any, out: Any, origin: float, rising: bool, span: float, scale: float, low: float
) -> None:
    for i in range(x.size):
        d = (x[i] - origin) if rising else (origin - x[i])
        d /= span
        d *= scale
        out[i] = d + low


@_compiled
def _present(x: Any, out: Any) -> int:
    count = 0
    for i in range(x.size):
        v = x[i]
        if v == v:
            out[count] = v
            count += 1
    return count


@_compiled
def _fill_missing(x: Any, out: Any, value: float) -> None:
    for i in range(x.size):
        v = x[i]
        out[i] = value if v != v else v


@_compiled
def _gather(values: Any, valid: Any, offset: int, rows: Any, out: Any) -> None:
    checked = valid.size > 0
    for i in range(out.size):
        r = rows[i] + offset
        if checked and not (valid[r >> 3] >> (r & 7)) & 1:
            out[i] = np.nan
        else:
            out[i] = values[r]


@_compiled
def _beyond(x: Any, threshold: float, high: bool) -> Any:
    count = 0
    for i in range(x.size):  # counted first, so that nothing larger than the result is made
        count += (x[i] >= threshold) if high else (x[i] <= threshold)
    out = np.empty(count)
    at = 0
    for i in range(x.size):
        if (x[i] >= threshold) if high else (x[i] <= threshold):
            out[at] = x[i]
            at += 1
    return out


@_compiled
def _ranks(x: Any, order: Any, ties: int, out: Any) -> None:
    dense = 0
    first = 0  # the place of the first of the values equal to the current one
    previous = np.nan
    for i in range(order.size):
        at = order[i]
        v = x[at]
        if v != v:  # NaN: sorted last, and not ranked
            break
        if i == 0 or v != previous:
            dense += 1
            first = i + 1
            previous = v
        out[at] = i + 1 if ties == 0 else (first if ties == 1 else dense)
