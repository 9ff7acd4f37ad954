"""Interval arithmetic on exact columns: every numeric expression is a span [lo, hi] per row of
fractions of integer columns (a known value is lo = hi), with the sound rules of each operation
(products of signed intervals, reciprocals of spans that hold 0, the hull of an unknown
choice); parts read several times are computed once as columns of their own (`let`, `flush`).
The compiler (compiler.py) builds on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol, TypeVar

import polars as pl

from wulian.engines.rules.expr import exact as ex
from wulian.engines.rules.expr.exact import Flags, Int, Rat, round_fraction


class _Columns(Protocol):
    def with_columns(self, exprs: list[pl.Expr], /) -> Any: ...


_Frame = TypeVar("_Frame", bound=_Columns)  # a LazyFrame, or a recording of what is added


@dataclass(frozen=True)
class Column:
    """A number input as exact integers: value = column / 10^scale; size bounds |column|, low
    and high are the least and greatest known values (None when every value is unknown).
    shown: a float column equal on every row to the value shown as a float (the column the
    integers were read from, when each of its values is column / 10^scale to the bit), or None."""

    expr: pl.Expr
    scale: int
    size: int
    low: Fraction | None
    high: Fraction | None
    shown: pl.Expr | None = None


@dataclass(frozen=True)
class Span:
    """A numeric expression per row: lo ≤ value ≤ hi (None: infinite on every row; a null
    numerator: infinite on that row). low/high bound every finite end on every row."""

    lo: Rat | None
    hi: Rat | None
    low: Fraction | None
    high: Fraction | None

    @staticmethod
    def const(value: Fraction) -> Span:
        end = Rat.of(value)
        return Span(end, end, value, value)


UNBOUNDED = Span(None, None, None, None)


def is_point(a: Span) -> bool:
    """Whether a is one value per row (lo and hi the same end)."""
    return a.lo is not None and a.lo is a.hi


def _as_point(end: Rat, a: Span, b: Span, op: str) -> Span:
    bounds: list[Fraction | None] = [None, None]
    if op == "+":
        if a.low is not None and b.low is not None:
            bounds[0] = a.low + b.low
        if a.high is not None and b.high is not None:
            bounds[1] = a.high + b.high
    elif None not in (a.low, a.high, b.low, b.high):
        products = [x * y for x in (a.low, a.high) for y in (b.low, b.high)]  # type: ignore[operator]
        bounds = [min(products), max(products)]
    elif a.low is not None and a.low >= 0 and b.low is not None and b.low >= 0:
        bounds[0] = a.low * b.low
    return Span(end, end, bounds[0], bounds[1])


def neg_end(end: Rat | None) -> Rat | None:
    return None if end is None else ex.rat_neg(end)


def _fmin(values: Sequence[Fraction | None]) -> Fraction | None:
    return None if any(v is None for v in values) else min(values)  # type: ignore[type-var]


def _fmax(values: Sequence[Fraction | None]) -> Fraction | None:
    return None if any(v is None for v in values) else max(values)  # type: ignore[type-var]


class Arithmetic:
    """The operations on spans, and the columns they share."""

    def __init__(self, *, points: bool = False) -> None:
        # points: every row's inputs taken as they are, an unknown one as null that decides
        # nothing (a sound first pass: what it decides is decided; the rest needs intervals)
        self.points = points
        self.flags = Flags()
        self.lets: list[tuple[str, pl.Expr]] = []
        self.count = 0
        self.shared: dict[int, tuple[Int, Int]] = {}  # each part shared once

    def let(self, value: pl.Expr) -> pl.Expr:
        """value computed once as a column of its own (applied by `flush`), so that a part read
        several times is not copied into the expression each time. A value that reads no
        column is the same on every row: it stays a literal (broadcast where it is used)."""
        if not value.meta.root_names():
            return value
        self.count += 1
        name = f"__l{self.count}"
        self.lets.append((name, value.alias(name)))
        return pl.col(name)

    def share_int(self, x: Int) -> Int:
        if x.expr is None or x.simple:
            return x
        found = self.shared.get(id(x))
        if found is not None and found[0] is x:
            return found[1]
        out = Int(self.let(x.expr), None, x.size, True)
        self.shared[id(x)] = (x, out)
        return out

    def share(self, x: Rat) -> Rat:
        return Rat(self.share_int(x.num), self.share_int(x.den))

    def share_end(self, x: Rat | None) -> Rat | None:
        return None if x is None else self.share(x)

    def share_span(self, a: Span) -> Span:
        lo = self.share_end(a.lo)
        hi = lo if a.hi is a.lo else self.share_end(a.hi)
        return Span(lo, hi, a.low, a.high)

    def flush(self, frame: _Frame) -> _Frame:
        """frame with the shared parts computed so far: each batch of parts that read none of
        the batch's own columns in one projection, in order."""
        batch: list[pl.Expr] = []
        names: set[str] = set()
        for name, value in self.lets:
            if names.intersection(value.meta.root_names()):
                frame = frame.with_columns(batch)
                batch, names = [], set()
            batch.append(value)
            names.add(name)
        if batch:
            frame = frame.with_columns(batch)
        self.lets = []
        return frame

    def add(self, a: Span, b: Span) -> Span:
        if is_point(a) and is_point(b):
            return _as_point(ex.rat_add(a.lo, b.lo, self.flags), a, b, "+")  # type: ignore[arg-type]

        def end(x: Rat | None, y: Rat | None) -> Rat | None:
            return None if x is None or y is None else ex.rat_add(x, y, self.flags)

        low = None if a.low is None or b.low is None else a.low + b.low
        high = None if a.high is None or b.high is None else a.high + b.high
        return Span(end(a.lo, b.lo), end(a.hi, b.hi), low, high)

    def scaled(self, a: Span, c: Fraction) -> Span:
        factor = Rat.of(c)  # × 0 keeps an infinite end: 0 × (x / 0) stays unknown
        if is_point(a):
            low = None if a.low is None else a.low * c
            high = None if a.high is None else a.high * c
            end_ = ex.rat_mul(a.lo, factor, self.flags)  # type: ignore[arg-type]
            return Span(end_, end_, *((low, high) if c > 0 else (high, low)))

        def end(x: Rat | None) -> Rat | None:
            return None if x is None else ex.rat_mul(x, factor, self.flags)

        low = None if a.low is None else a.low * c
        high = None if a.high is None else a.high * c
        if c >= 0:
            return Span(end(a.lo), end(a.hi), low, high)
        return Span(end(a.hi), end(a.lo), high, low)

    def mul(self, a: Span, b: Span) -> Span:
        """a × b per row: both not negative: [lo·lo, hi·hi]; else, every end finite: the least
        and greatest of the four products; else unbounded."""
        flags = self.flags
        if is_point(a) and is_point(b):
            return _as_point(ex.rat_mul(a.lo, b.lo, flags), a, b, "*")  # type: ignore[arg-type]
        like = a.lo or a.hi or b.lo or b.hi
        if like is None:
            return UNBOUNDED
        a_lo, a_hi = self._end(a.lo, like), self._end(a.hi, like)
        b_lo, b_hi = self._end(b.lo, like), self._end(b.hi, like)
        a_lo, a_hi, b_lo, b_hi = (self.share(x) for x in (a_lo, a_hi, b_lo, b_hi))
        lo = ex.rat_mul(a_lo, b_lo, flags)
        hi = None if a.hi is None or b.hi is None else ex.rat_mul(a_hi, b_hi, flags)
        if a.low is not None and a.low >= 0 and b.low is not None and b.low >= 0:
            high = None if a.high is None or b.high is None else a.high * b.high
            return Span(lo, hi, a.low * b.low, high)
        zero = Rat.of(Fraction(0))
        fast = self.let(
            ex.compare(">=", a_lo, zero, flags).fill_null(False)
            & ex.compare(">=", b_lo, zero, flags).fill_null(False)
        )
        products = [ex.rat_mul(x, y, flags) for x in (a_lo, a_hi) for y in (b_lo, b_hi)]
        least, most = products[0], products[0]
        for product in products[1:]:
            least = self.lower(least, product, "min", propagate=True)
            most = self.upper(most, product, "max", propagate=True)
        out_lo = ex.select(fast, lo, least, flags)
        out_hi = ex.select(fast, self._end(hi, like), most, flags)
        bounds = [a.low, a.high, b.low, b.high]
        if any(v is None for v in bounds):
            return Span(out_lo, out_hi, None, None)
        statics = [x * y for x in (a.low, a.high) for y in (b.low, b.high)]  # type: ignore[operator]
        return Span(out_lo, out_hi, min(statics), max(statics))

    def reciprocal(self, b: Span) -> Span:
        """1 / b as an interval: unbounded where b may be 0 (division by zero is unknown)."""
        flags = self.flags

        def flip(end: Rat | None) -> Rat:
            if end is None:
                return Rat.of(Fraction(0))  # 1 / ±∞
            end = self.share(end)
            n, d = end.num, end.den
            wide = n.wide or d.wide
            missing = n.e().is_null()
            num = pl.when(missing).then(pl.lit(0, pl.Int64)).otherwise(n.e(wide).sign() * d.e(wide))
            den = pl.when(missing).then(pl.lit(1, pl.Int64)).otherwise(n.e().abs())
            return Rat(Int(num, None, d.size), Int(den, None, max(n.size, 1)))

        if is_point(b):  # unknown where b is unknown or 0
            assert_end = self.share(b.lo)  # type: ignore[arg-type]
            zero_or_unknown = ex.compare("==", assert_end, Rat.of(Fraction(0)), flags).fill_null(
                True
            )
            end_ = ex.null_if(zero_or_unknown, flip(assert_end))
            low = high = None
            if b.low is not None and b.low > 0:
                low, high = (Fraction(0) if b.high is None else 1 / b.high), 1 / b.low
            return Span(end_, end_, low, high)
        lo, hi = flip(b.hi), flip(b.lo)
        if b.low is not None and b.low > 0 and b.lo is not None:
            undefined = b.lo.num.e().is_null()  # (−∞, ∞): from a division by zero
            lo, hi = ex.null_if(undefined, lo), ex.null_if(undefined, hi)
            return Span(lo, hi, Fraction(0) if b.high is None else 1 / b.high, 1 / b.low)
        if b.high is not None and b.high < 0 and b.hi is not None:
            undefined = b.hi.num.e().is_null()
            lo, hi = ex.null_if(undefined, lo), ex.null_if(undefined, hi)
            return Span(lo, hi, 1 / b.high, Fraction(0) if b.low is None else 1 / b.low)
        zero = Rat.of(Fraction(0))
        b = self.share_span(b)
        below = (
            pl.lit(True) if b.lo is None else ex.compare("<=", b.lo, zero, flags).fill_null(True)
        )
        above = (
            pl.lit(True) if b.hi is None else ex.compare(">=", b.hi, zero, flags).fill_null(True)
        )
        may_be_zero = self.let(below & above)
        lo, hi = ex.null_if(may_be_zero, lo), ex.null_if(may_be_zero, hi)
        if b.low is not None and b.low >= 0:
            return Span(lo, hi, Fraction(0), None)
        if b.high is not None and b.high <= 0:
            return Span(lo, hi, None, Fraction(0))
        return Span(lo, hi, None, None)

    def _end(self, end: Rat | None, like: Rat) -> Rat:
        return ex.infinite(like) if end is None else end

    def lower(self, a: Rat, b: Rat, how: str, propagate: bool) -> Rat:
        """min or max of two ends; propagate: an infinite (null) end wins, else it is ignored."""
        a, b = ex.align(a, b, self.flags)
        a, b = self.share(a), self.share(b)
        first = self.let(ex.compare("<=" if how == "min" else ">=", a, b, self.flags))
        if propagate:
            return ex.null_if(first.is_null(), ex.select(first, a, b, self.flags))
        condition = a.num.e().is_not_null() & (b.num.e().is_null() | first)
        return ex.select(condition.fill_null(False), a, b, self.flags)

    upper = lower

    def choose(self, condition: pl.Expr, a: Span, b: Span) -> Span:
        """if condition then a else b; an unknown condition gives the hull of both."""
        condition = self.let(condition)
        if self.points and is_point(a) and is_point(b):
            chosen = ex.null_if(
                condition.is_null(),
                ex.select(condition, a.lo, b.lo, self.flags),  # type: ignore[arg-type]
            )
            return Span(chosen, chosen, _fmin([a.low, b.low]), _fmax([a.high, b.high]))
        return Span(
            self._choose(condition, a.lo, b.lo, "min"),
            self._choose(condition, a.hi, b.hi, "max"),
            _fmin([a.low, b.low]),
            _fmax([a.high, b.high]),
        )

    def _choose(self, condition: pl.Expr, x: Rat | None, y: Rat | None, how: str) -> Rat | None:
        if x is None and y is None:
            return None
        like = x if x is not None else y
        if like is None:  # pragma: no cover - excluded above
            return None
        x_, y_ = self._end(x, like), self._end(y, like)
        hull = self.lower(x_, y_, how, propagate=True)
        inner = ex.select((~condition).fill_null(False), y_, hull, self.flags)
        return ex.select(condition.fill_null(False), x_, inner, self.flags)

    def extreme(self, spans: list[Span], how: str) -> Span:
        """min or max of several intervals."""
        out = spans[0]
        for other in spans[1:]:
            out = self._extreme(out, other, how)
        return out

    def _extreme(self, a: Span, b: Span, how: str) -> Span:
        if self.points and is_point(a) and is_point(b):
            chosen = self.lower(a.lo, b.lo, how, propagate=True)  # type: ignore[arg-type]
            ends_low, ends_high = [a.low, b.low], [a.high, b.high]
            low = _fmin(ends_low) if how == "min" else _fmax(ends_low)
            high = _fmin(ends_high) if how == "min" else _fmax(ends_high)
            return Span(chosen, chosen, low, high)
        if how == "min":
            # the lower end: any −∞ wins; the upper end: +∞ is ignored
            lo = None if a.lo is None or b.lo is None else self.lower(a.lo, b.lo, "min", True)
            if a.hi is None or b.hi is None:
                hi = a.hi if b.hi is None else b.hi
            else:
                hi = self.upper(a.hi, b.hi, "min", False)
            low = _fmin([a.low, b.low])
            highs: list[Fraction] = [h for h in (a.high, b.high) if h is not None]
            return Span(lo, hi, low, min(highs) if highs else None)
        if a.lo is None or b.lo is None:
            lo = a.lo if b.lo is None else b.lo
        else:
            lo = self.lower(a.lo, b.lo, "max", False)
        hi = None if a.hi is None or b.hi is None else self.upper(a.hi, b.hi, "max", True)
        lows: list[Fraction] = [v for v in (a.low, b.low) if v is not None]
        return Span(lo, hi, max(lows) if lows else None, _fmax([a.high, b.high]))

    def absolute(self, a: Span) -> Span:
        if a.low is not None and a.low >= 0:
            return a
        if is_point(a):
            x = self.share(a.lo)  # type: ignore[arg-type]
            zero = Rat.of(Fraction(0))
            end_ = ex.select(ex.compare(">=", x, zero, self.flags), x, ex.rat_neg(x), self.flags)
            return Span(end_, end_, Fraction(0), None)
        if a.high is not None and a.high <= 0:
            return Span(neg_end(a.hi), neg_end(a.lo), -a.high, None if a.low is None else -a.low)
        zero = Rat.of(Fraction(0))
        like = a.lo or a.hi
        if like is None:
            return Span(zero, None, Fraction(0), None)
        lo_, hi_ = self.share(self._end(a.lo, like)), self.share(self._end(a.hi, like))
        positive = self.let(ex.compare(">=", lo_, zero, self.flags).fill_null(False))
        negative = self.let(ex.compare("<=", hi_, zero, self.flags).fill_null(False))
        minus_lo, minus_hi = ex.rat_neg(lo_), ex.rat_neg(hi_)
        lo = ex.select(positive, lo_, ex.select(negative, minus_hi, zero, self.flags), self.flags)
        widest = self.upper(minus_lo, hi_, "max", propagate=True)
        hi = ex.select(positive, hi_, ex.select(negative, minus_lo, widest, self.flags), self.flags)
        unbounded = lo_.num.e().is_null() & hi_.num.e().is_null()
        lo = ex.null_if(unbounded, lo)
        high = _fmax(
            [None if a.low is None else abs(a.low), None if a.high is None else abs(a.high)]
        )
        return Span(lo, hi, Fraction(0), high)

    def rounded(self, a: Span, digits: int) -> Span:
        a = self.share_span(a)
        if is_point(a):
            end_ = ex.round_half_away(a.lo, digits, self.flags)  # type: ignore[arg-type]
            low = None if a.low is None else round_fraction(a.low, digits)
            high = None if a.high is None else round_fraction(a.high, digits)
            return Span(end_, end_, low, high)

        def end(x: Rat | None) -> Rat | None:
            return None if x is None else ex.round_half_away(x, digits, self.flags)

        return Span(
            end(a.lo),
            end(a.hi),
            None if a.low is None else round_fraction(a.low, digits),
            None if a.high is None else round_fraction(a.high, digits),
        )
