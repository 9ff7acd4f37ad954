"""Exact numbers for the compiled form: every value is a fraction num / den of integer columns
(or constants), and every numeric expression is an interval [lo, hi] of such fractions.

Integers are Int64 while a static bound on their size says they fit, Int128 beyond; past
Int128 a row's integer is checked at run time and becomes null (an infinite end: nothing is
decided from it) and the row is flagged, so nothing ever wraps silently. Denominators are
positive. An end whose numerator is null is infinite: −∞ for a lower end, +∞ for an upper one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import polars as pl

FIT64 = 2**62  # an Int64 column holds integers below this (a sum of two still fits)
FIT128 = 2**125  # likewise for Int128; past it a row is checked and flagged


def exact(value: float | int | str | Fraction | Decimal) -> Fraction:
    """A number as the decimal a person wrote: a float through its shortest repr (0.1 is 1/10,
    not the binary fraction nearest to it); text as written, with a trailing %."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Decimal):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(value)
        return Fraction(Decimal(repr(value)))
    text = value.strip()
    if text.endswith("%"):
        return Fraction(Decimal(text[:-1])) / 100
    return Fraction(Decimal(text))


@dataclass(frozen=True)
class Int:
    """An integer per row (expr), or the same integer for every row (const); size bounds |·|."""

    expr: pl.Expr | None = None
    const: int | None = None
    size: int = 0
    simple: bool = False  # a column as it is: reading it twice computes nothing twice

    @staticmethod
    def of(value: int) -> Int:
        return Int(None, value, abs(value))

    @property
    def wide(self) -> bool:
        return self.size >= FIT64

    def e(self, wide: bool = False) -> pl.Expr:
        """The integer as a Polars expression (Int128 when wide or asked)."""
        if self.expr is None:
            return pl.lit(self.const or 0, pl.Int128 if (wide or self.wide) else pl.Int64)
        if wide and not self.wide:
            return self.expr.cast(pl.Int128)
        return self.expr


@dataclass
class Flags:
    """Overflow checks inserted while compiling: each is true on a row whose exact value left
    the range of 128-bit integers."""

    checks: list[pl.Expr] = field(default_factory=list)


def _guarded(value: pl.Expr, size: int, flags: Flags, estimate: pl.Expr) -> Int:
    """value (Int128) where estimate (a float of its magnitude) is safely small, else null."""
    ok = estimate < float(FIT128)
    flags.checks.append(~ok)
    return Int(pl.when(ok).then(value), None, FIT128)


def mul(a: Int, b: Int, flags: Flags) -> Int:
    if a.const is not None and b.const is not None:
        return Int.of(a.const * b.const)
    if a.const == 1:
        return b
    if b.const == 1:
        return a
    size = a.size * b.size
    if size < FIT64:
        return Int(a.e() * b.e(), None, size)
    if size < FIT128:
        return Int(a.e(True) * b.e(True), None, size)
    estimate = a.e().cast(pl.Float64).abs() * b.e().cast(pl.Float64).abs()
    return _guarded(a.e(True) * b.e(True), size, flags, estimate)


def add(a: Int, b: Int, flags: Flags, negate: bool = False) -> Int:
    if a.const is not None and b.const is not None:
        return Int.of(a.const - b.const if negate else a.const + b.const)
    if b.const == 0:
        return a
    size = a.size + b.size
    wide = size >= FIT64
    out = a.e(wide) - b.e(wide) if negate else a.e(wide) + b.e(wide)
    if size < FIT128:
        return Int(out, None, size)
    return _guarded(out, size, flags, out.cast(pl.Float64).abs())


def neg(a: Int) -> Int:
    if a.const is not None:
        return Int.of(-a.const)
    zero = pl.lit(0, pl.Int128 if a.wide else pl.Int64)
    return Int(zero - a.e(), None, a.size)  # Polars has no negation of Int128


@dataclass(frozen=True)
class Rat:
    """num / den, den > 0. A null num (per row) is an infinite end."""

    num: Int
    den: Int

    @staticmethod
    def of(value: Fraction) -> Rat:
        return Rat(Int.of(value.numerator), Int.of(value.denominator))

    @property
    def const(self) -> Fraction | None:
        if self.num.const is not None and self.den.const is not None:
            return Fraction(self.num.const, self.den.const)
        return None


def scale(a: Rat, factor: int, flags: Flags) -> Rat:
    """a with num and den multiplied by factor > 0 (the same value)."""
    if factor == 1:
        return a
    return Rat(mul(a.num, Int.of(factor), flags), mul(a.den, Int.of(factor), flags))


def align(a: Rat, b: Rat, flags: Flags) -> tuple[Rat, Rat]:
    """a and b over the same constant denominator when both have one."""
    if a.den.const is not None and b.den.const is not None and a.den.const != b.den.const:
        common = math.lcm(a.den.const, b.den.const)
        return scale(a, common // a.den.const, flags), scale(b, common // b.den.const, flags)
    return a, b


def rat_add(a: Rat, b: Rat, flags: Flags, negate: bool = False) -> Rat:
    if a.const is not None and b.const is not None:
        return Rat.of(a.const - b.const if negate else a.const + b.const)
    a, b = align(a, b, flags)
    if a.den.const is not None and a.den.const == b.den.const:
        return Rat(add(a.num, b.num, flags, negate), a.den)
    left = mul(a.num, b.den, flags)
    right = mul(b.num, a.den, flags)
    return Rat(add(left, right, flags, negate), mul(a.den, b.den, flags))


def rat_mul(a: Rat, b: Rat, flags: Flags) -> Rat:
    if a.const is not None and b.const is not None:
        return Rat.of(a.const * b.const)
    return Rat(mul(a.num, b.num, flags), mul(a.den, b.den, flags))


def rat_neg(a: Rat) -> Rat:
    return Rat(neg(a.num), a.den)


def sides(a: Rat, b: Rat, flags: Flags) -> tuple[pl.Expr, pl.Expr]:
    """Integer expressions x, y with a op b ⇔ x op y (cross-multiplied; denominators > 0)."""
    a, b = align(a, b, flags)
    if a.den.const is not None and a.den.const == b.den.const:
        x, y = a.num, b.num
    else:
        x, y = mul(a.num, b.den, flags), mul(b.num, a.den, flags)
    wide = x.wide or y.wide
    return x.e(wide), y.e(wide)


_FLIPPED = {">=": "<=", ">": "<", "<=": ">=", "<": ">", "==": "==", "!=": "!="}


def compare(op: str, a: Rat, b: Rat, flags: Flags) -> pl.Expr:
    x, y = sides(a, b, flags)
    if not x.meta.root_names() and y.meta.root_names():
        # the column first: Polars' in-memory engine compares a literal with a column it holds
        # as one broadcast value (a when/then of literals whose condition is the same on every
        # row of a one-chunk frame) into a one-row column, refused for a frame of several
        x, y, op = y, x, _FLIPPED[op]
    if op == ">=":
        return x >= y
    if op == ">":
        return x > y
    if op == "<=":
        return x <= y
    if op == "<":
        return x < y
    if op == "==":
        return x == y
    return x != y


def select(condition: pl.Expr, a: Rat, b: Rat, flags: Flags) -> Rat:
    """a where condition holds, else b (null condition: b)."""
    a, b = align(a, b, flags)
    size = max(a.num.size, b.num.size)
    wide = size >= FIT64
    num = Int(pl.when(condition).then(a.num.e(wide)).otherwise(b.num.e(wide)), None, size)
    if a.den.const is not None and a.den.const == b.den.const:
        return Rat(num, a.den)
    dsize = max(a.den.size, b.den.size)
    dwide = dsize >= FIT64
    den = Int(pl.when(condition).then(a.den.e(dwide)).otherwise(b.den.e(dwide)), None, dsize)
    return Rat(num, den)


def infinite(like: Rat) -> Rat:
    """An end that is infinite on every row."""
    wide = like.num.wide
    return Rat(Int(pl.lit(None, pl.Int128 if wide else pl.Int64), None, like.num.size), like.den)


def null_if(condition: pl.Expr, a: Rat) -> Rat:
    """a made infinite where condition holds."""
    wide = a.num.wide
    num = pl.when(condition).then(pl.lit(None, pl.Int128 if wide else pl.Int64))
    return Rat(Int(num.otherwise(a.num.e()), None, a.num.size), a.den)


def to_float(value: Rat, ones: pl.Expr) -> pl.Expr:
    """The float nearest to num / den where both are exact as floats (a column divisor: Polars
    multiplies by the reciprocal of a constant one)."""
    num = value.num.e().cast(pl.Float64)
    if value.den.expr is None and (value.den.const or 1) == 1:
        return num  # x / 1 is x
    den = (
        pl.lit(float(value.den.const or 1))
        if value.den.expr is None
        else value.den.e().cast(pl.Float64)
    )
    return num / (den * ones)


def round_half_away(a: Rat, digits: int, flags: Flags) -> Rat:
    """a to digits decimals, halves away from zero, exactly: sign · ⌊(2|n|·10^k + d) / 2d⌋."""
    if a.const is not None:
        return Rat.of(round_fraction(a.const, digits))
    power = 10**digits
    n, d = a.num, a.den
    twice = mul(Int(n.e().abs(), None, n.size), Int.of(2 * power), flags)
    top = add(twice, d, flags)
    bottom = mul(d, Int.of(2), flags)
    wide = top.wide or bottom.wide
    quotient = top.e(wide) // bottom.e(wide)
    sign = n.e(wide).sign()
    return Rat(Int(sign * quotient, None, n.size * power + 1), Int.of(power))


def round_fraction(value: Fraction, digits: int) -> Fraction:
    """value to digits decimals, halves away from zero (四舍五入), exactly."""
    power = 10**digits
    magnitude = (2 * abs(value.numerator) * power + value.denominator) // (2 * value.denominator)
    return Fraction(magnitude if value >= 0 else -magnitude, power)


MAX_SCALE = 24  # decimals a number input may carry


class Inexact(ValueError):
    """A value that cannot be held exactly (infinite, too many decimals, too large)."""

    def __init__(self, value: object) -> None:
        super().__init__(f"数值 {value} 超出精确计算范围")
        self.value = value


def exact_series(values: pl.Series) -> tuple[pl.Series, int, int, Fraction | None, Fraction | None]:
    """A number column as exact integers: (ints, scale, size, least, greatest) with each value =
    int / 10^scale. Integers and decimals as they are; a float as its shortest repr (0.1 is
    1/10). Int64 when the integers fit, else Int128; Inexact for a value that cannot be held."""
    dtype = values.dtype
    if dtype == pl.Null:
        ints, scale = values.cast(pl.Int64), 0
    elif dtype.is_integer():
        ints, scale = values.cast(pl.Int128), 0
    elif isinstance(dtype, pl.Decimal):
        ints, scale = values.to_physical().cast(pl.Int128), dtype.scale or 0
    else:
        ints, scale = _float_ints(values.cast(pl.Float64))
    return _finish(ints, scale)


def _finish(
    ints: pl.Series, scale: int
) -> tuple[pl.Series, int, int, Fraction | None, Fraction | None]:
    if ints.null_count() == len(ints):
        return ints.cast(pl.Int64), scale, 0, None, None
    least, greatest = ints.min(), ints.max()
    size = max(abs(int(least)), abs(int(greatest)))  # type: ignore[arg-type]
    if size >= FIT128:
        raise Inexact(Fraction(int(greatest if abs(int(greatest)) == size else least), 10**scale))  # type: ignore[arg-type]
    if size < FIT64:
        ints = ints.cast(pl.Int64)
    power = 10**scale
    return ints, scale, size, Fraction(int(least), power), Fraction(int(greatest), power)  # type: ignore[arg-type]


def _float_ints(values: pl.Series) -> tuple[pl.Series, int]:
    """Floats as integers over 10^scale, each through its shortest repr: the fewest decimals s
    with round(x·10^s) / 10^s == x while |x·10^s| < 2^49 (then that decimal is unique and is the
    shortest repr); the rare rest through Python's repr. Most columns have one scale for every
    value, found in a few vectorised passes."""
    import numpy as np

    whole = values.to_numpy()  # nulls as NaN
    present = ~np.isnan(whole)
    sample = whole[present]
    for s in range(4):  # most columns: one scale for every value, in one pass
        power = 10.0**s
        k = np.round(sample * power)
        if bool(np.all((k / power == sample) & (np.abs(k) < 2.0**49))):
            ints = np.zeros(len(whole), dtype=np.int64)
            ints[present] = k.astype(np.int64)
            out = pl.Series(values.name, ints)
            if not present.all():
                out = pl.select(pl.when(pl.lit(pl.Series(present))).then(pl.lit(out))).to_series()
            return out.alias(values.name), s

    x = values.to_numpy()
    n = len(x)
    if np.isinf(x).any():
        raise Inexact(x[np.isinf(x)][0])
    scales = np.full(n, -1, dtype=np.int64)
    ints = np.zeros(n, dtype=np.int64)
    todo = np.flatnonzero(~np.isnan(x))
    for s in range(16):
        if not len(todo):
            break
        power = 10.0**s
        k = np.round(x[todo] * power)
        ok = (np.abs(k) < 2.0**49) & (k / power == x[todo])
        done = todo[ok]
        scales[done] = s
        ints[done] = k[ok].astype(np.int64)
        todo = todo[~ok]
    rest: dict[int, tuple[int, int]] = {}
    for i in todo:
        sign, digits, exponent = Decimal(repr(float(x[i]))).as_tuple()
        mantissa = int("".join(map(str, digits))) * (-1 if sign else 1)
        if isinstance(exponent, str):  # pragma: no cover - finite floats only
            raise Inexact(x[i])
        if exponent >= 0:
            rest[int(i)] = (mantissa * 10**exponent, 0)
        else:
            rest[int(i)] = (mantissa, -exponent)
    scale = max([int(scales.max()) if n else 0, *(s for _, s in rest.values())], default=0)
    scale = max(scale, 0)
    if scale > MAX_SCALE:
        raise Inexact(x[next(i for i, (_, s) in rest.items() if s > MAX_SCALE)])
    known = scales >= 0
    factors = np.where(known, scale - scales, 0)
    base = pl.Series(ints, dtype=pl.Int64).cast(pl.Int128)
    multiplier = pl.Series([10 ** int(f) for f in range(scale + 1)], dtype=pl.Int128)
    out = base * multiplier.gather(pl.Series(factors, dtype=pl.UInt32))
    mask = pl.Series(~known)
    out = pl.select(pl.when(pl.lit(mask)).then(None).otherwise(pl.lit(out))).to_series()
    if rest:
        indices = pl.Series(list(rest), dtype=pl.UInt32)
        exact_values = pl.Series([k * 10 ** (scale - s) for k, s in rest.values()], dtype=pl.Int128)
        out = out.scatter(indices, exact_values)
    return out.alias(values.name), scale
